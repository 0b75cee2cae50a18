// Command client fills the Fun With Banking database with seeded mock data and calls
// its functions over ODBC. See README.md, or run client --help.
package main

import (
	"os"

	"funwithbanking/client/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args, os.Stdout, os.Stderr))
}
