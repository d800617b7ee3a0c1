package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/srp/vector"
)

func runSRP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = `usage: renewkit srp check [--profile P] FILE...    recompute every value of vector files
       renewkit srp vectors [flags]                write new vectors
Run 'renewkit srp <command> -h' for its flags.`
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitError{2}
	}
	switch args[0] {
	case "check":
		return srpCheck(args[1:], stdout, stderr)
	case "vectors":
		return srpVectors(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stderr, usage)
		return nil
	}
	fmt.Fprintf(stderr, "renewkit srp: unknown command %q (want check or vectors)\n%s\n", args[0], usage)
	return exitError{2}
}

// srpCheck recomputes every value of every vector and prints one line per vector.
func srpCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("srp check", "srp check [--profile rfc2945|rfc5054-padded] FILE...", stderr)
	profile := fs.String("profile", string(srp.ProfileRFC2945), "proof profile for srptools/RFC-format files, which do not name one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitError{2}
	}
	prof, err := srp.ParseProfile(*profile)
	if err != nil {
		return err
	}
	failed, total := 0, 0
	for _, path := range fs.Args() {
		vs, err := vector.ReadFile(path, prof)
		if err != nil {
			fmt.Fprintf(stdout, "FAIL %s: %v\n", path, err)
			failed++
			continue
		}
		for _, v := range vs {
			total++
			if err := vector.Check(v); err != nil {
				failed++
				fmt.Fprintf(stdout, "FAIL %s %s (%s): %v\n", path, v.Name, v.Params, err)
				continue
			}
			fmt.Fprintf(stdout, "ok   %s %s (%s)\n", path, v.Name, v.Params)
		}
	}
	fmt.Fprintf(stdout, "%d vectors, %d failed\n", total, failed)
	if failed > 0 {
		return exitError{1}
	}
	return nil
}

// srpVectors writes a new vector file in the Bouncy Castle format.
func srpVectors(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("srp vectors", "srp vectors [flags]", stderr)
	group := fs.Int("group", 2048, "group size in bits (RFC 5054 appendix A)")
	hashName := fs.String("hash", "SHA-256", "hash: SHA-1, SHA-256, SHA-384, SHA-512")
	profile := fs.String("profile", string(srp.ProfileRFC5054Padded), "proof profile: rfc5054-padded or rfc2945")
	identity := fs.String("identity", "", "the SRP identity i (default: random 26-character ID)")
	pass := fs.String("passcode", "", "the passcode, NFC-normalized before use (default: random)")
	saltHex := fs.String("salt", "", "salt in hex (default: 32 random bytes)")
	aHex := fs.String("a", "", "client secret a in hex (default: random)")
	bHex := fs.String("b", "", "server secret b in hex (default: random)")
	count := fs.Int("count", 1, "number of vectors (given values are reused, the rest drawn anew each time)")
	out := fs.String("out", "-", "output file, - for standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	g, err := srp.GroupByBits(*group)
	if err != nil {
		return err
	}
	h, err := srp.ParseHash(*hashName)
	if err != nil {
		return err
	}
	prof, err := srp.ParseProfile(*profile)
	if err != nil {
		return err
	}
	p, err := srp.NewParams(g, h, prof)
	if err != nil {
		return err
	}
	if *count < 1 {
		return errors.New("--count must be at least 1")
	}
	var vs []vector.Vector
	for i := range *count {
		id, pw := *identity, *pass
		if id == "" || pw == "" {
			fresh, err := api.NewID()
			if err != nil {
				return err
			}
			if id == "" {
				id = fresh
			}
			if pw == "" {
				pw = "P-" + fresh[:12]
			}
		}
		salt, err := hexOrRandom("salt", *saltHex, 32)
		if err != nil {
			return err
		}
		a, err := hexOrRandom("a", *aHex, srp.EphemeralBytes)
		if err != nil {
			return err
		}
		b, err := hexOrRandom("b", *bHex, srp.EphemeralBytes)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("renewkit-%d", i+1)
		vs = append(vs, vector.Generate(name, p, []byte(id), []byte(passcode.Normalize(pw)), salt, a, b))
	}
	comment := fmt.Sprintf("SRP-6a vectors for the %s profile (%s, %s), written by renewkit srp vectors. P_hex is the NFC passcode's UTF-8 bytes in hex.", prof, g.Name(), p.HashName())
	w := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := vector.Write(w, comment, vs); err != nil {
		return err
	}
	if *out != "-" {
		fmt.Fprintf(stderr, "wrote %d vectors to %s\n", len(vs), *out)
	}
	return nil
}

func hexOrRandom(name, h string, n int) ([]byte, error) {
	if h != "" {
		b, err := hex.DecodeString(strings.TrimPrefix(h, "0x"))
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("--%s: not hex", name)
		}
		return b, nil
	}
	b := make([]byte, n)
	_, err := rand.Read(b)
	return b, err
}
