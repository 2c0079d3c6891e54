from secretome.cli import console_main

console_main()
