import subprocess
import sys

import secretome


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "secretome", *args], capture_output=True, text=True)


def test_version_flag_prints_package_version():
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"secretome {secretome.__version__}"


def test_input_error_renders_file_column_row_and_expectation():
    error = secretome.SecretomeInputError("not a number", file="a.tsv", column="LFQ intensity S1", row=7, expected="a float")
    assert str(error) == "file a.tsv, column 'LFQ intensity S1', row 7: not a number (expected: a float)"
