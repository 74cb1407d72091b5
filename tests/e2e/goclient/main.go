// goclient: drives openwinrm with the Go client masterzen/winrm (as Packer
// and Terraform do). The end-to-end tests run it and compare what it prints
// and its exit status with what the remote command did.
//
//	goclient -host 127.0.0.1 -port 5986 -user NAME [-ntlm] [-stdin] COMMAND
//	goclient -host 127.0.0.1 -port 5986 -cert PEM -key PEM COMMAND
//
// Basic authentication by default; with -ntlm, NTLM under Negotiate through
// Azure/go-ntlmssp (winrm.ClientNTLM), as Packer's and Terraform's
// "use_ntlm" do; with -cert and -key, the client certificate of those files
// (winrm.ClientAuthRequest, Packer's and Terraform's certificate logon).
// The password comes from $GOCLIENT_PASSWORD so that it stays out of ps(1).
// With -stdin, this program's own standard input becomes the command's.
// Exit status: the remote command's exit code, or 254 when the client itself
// failed (the error goes to stderr after "goclient: ").
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/masterzen/winrm"
)

const clientFailed = 254

func main() {
	host := flag.String("host", "127.0.0.1", "server address")
	port := flag.Int("port", 5986, "server port")
	useHTTPS := flag.Bool("https", true, "use HTTPS (the certificate is not verified)")
	user := flag.String("user", "", "user name")
	useNTLM := flag.Bool("ntlm", false, "authenticate with NTLM instead of Basic")
	withStdin := flag.Bool("stdin", false, "send this program's standard input to the command")
	timeout := flag.Duration("timeout", 120*time.Second, "HTTP response timeout")
	certFile := flag.String("cert", "", "client certificate (PEM): certificate authentication")
	keyFile := flag.String("key", "", "the client certificate's key (PEM)")
	flag.Parse()
	if flag.NArg() != 1 || (*user == "") == (*certFile == "") || (*certFile == "") != (*keyFile == "") {
		fmt.Fprintln(os.Stderr, "usage: goclient -host H -port P {-user U [-ntlm] | -cert C -key K} [-stdin] COMMAND")
		os.Exit(2)
	}

	var cert, key []byte
	if *certFile != "" {
		var err error
		if cert, err = os.ReadFile(*certFile); err == nil {
			key, err = os.ReadFile(*keyFile)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "goclient:", err)
			os.Exit(clientFailed)
		}
	}
	endpoint := winrm.NewEndpoint(*host, *port, *useHTTPS, true, nil, cert, key, *timeout)
	params := *winrm.DefaultParameters
	if *useNTLM {
		params.TransportDecorator = func() winrm.Transporter { return &winrm.ClientNTLM{} }
	} else if cert != nil {
		params.TransportDecorator = func() winrm.Transporter { return &winrm.ClientAuthRequest{} }
	}
	client, err := winrm.NewClientWithParameters(endpoint, *user, os.Getenv("GOCLIENT_PASSWORD"), &params)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goclient:", err)
		os.Exit(clientFailed)
	}

	var code int
	if *withStdin {
		// RunWithInput sends the input in envelope-sized pieces and closes
		// the remote stdin (an empty Send with End="true") at end of input.
		// RunWithString would close it only after the command ended, which
		// never happens for a command that reads to end of input.
		code, err = client.RunWithInput(flag.Arg(0), os.Stdout, os.Stderr, os.Stdin)
	} else {
		code, err = client.Run(flag.Arg(0), os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "goclient:", err)
		os.Exit(clientFailed)
	}
	os.Exit(code)
}
