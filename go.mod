module funwithbanking

go 1.22

require (
	github.com/alexbrainman/odbc v0.0.0-20250601004241-49e6b2bc0cf0
	github.com/jaswdr/faker/v2 v2.9.0
	github.com/urfave/cli/v2 v2.27.7
	golang.org/x/sys v0.25.0
	golang.org/x/term v0.24.0
)

require (
	github.com/cpuguy83/go-md2man/v2 v2.0.7 // indirect
	github.com/russross/blackfriday/v2 v2.1.0 // indirect
	github.com/xrash/smetrics v0.0.0-20240521201337-686a1a2994c1 // indirect
)
