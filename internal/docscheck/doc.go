// Package docscheck holds only tests. Every environment variable the deployment files
// (deploy/), the documentation (docs/) and README.md name must be a setting the gateway
// knows (config.Usage, what `ssogate --help` prints), or one of a short, commented list of
// variables that belong to something else. A renamed or misspelt setting in an example
// fails CI instead of silently doing nothing in production. README.md's Layout table must
// list every package directory, so a new package cannot go undescribed, and every relative
// link in the Markdown files must reach an existing file and heading.
package docscheck
