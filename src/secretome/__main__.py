from secretome.cli import main

main()
