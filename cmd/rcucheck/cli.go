package main

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The command line is built on cobra and pflag, as kubectl, gh and hugo
// are: flags before or after the positional arguments, "rcucheck help
// CMD" and --help, --version and shell completion come with it. What this
// file adds: Go-style single-dash long flags (-calls 2) keep working,
// flag errors keep Go's wording on one line, and every error is a usage
// error (exit 2).

// runFunc runs a command once its flags are parsed: args are its
// positional arguments. It returns the exit code.
type runFunc func(ctx context.Context, e *env, args []string) (int, error)

// spec is one subcommand: its synopsis ("check", "lin FILE"), its summary,
// the number of its positional arguments, and setup, which defines its
// flags on fs and returns what runs with their values.
type spec struct {
	use, summary string
	nargs        int
	setup        func(fs *pflag.FlagSet) runFunc
}

// commands are rcucheck's subcommands, in the order of the help.
func commands() []spec {
	return []spec{
		{"check", "explore a design exhaustively: verdicts, figures, shortest counterexamples", 0, checkFlags},
		{"fuzz", "hunt violations with random schedules at any size: seeded, shrunk witnesses, allocations per free", 0, fuzzFlags},
		{"claims", "the kernel thread's claims, each with the verdict and evidence computed now (the default)", 0, claimsFlags},
		{"bound", "sweep a parameter: least reserve, maxima, plateau or growth, a verdict for every K, plots", 0, boundFlags},
		{"gate FILE.toml", "run a gate file (designs, grids, required outcomes) for CI: table, JSON, JUnit XML", 1, gateFlags},
		{"lin FILE", "judge trace histories against the reclaim contract with Porcupine (HTML, JSON)", 1, linFlags},
		{"bench", "time rcucheck against SPIN on the same instance: counts, states/s, bytes/state", 0, benchFlags},
	}
}

// exitCode carries the exit code of the command that ran out of cobra.
type exitCode struct{ code int }

// newCommand is the cobra command of s, which records its exit code in
// code.
func newCommand(e *env, s spec, code *exitCode) *cobra.Command {
	c := &cobra.Command{Use: s.use, Short: s.summary, Args: nargs(s.nargs)}
	run := s.setup(c.Flags())
	c.RunE = func(c *cobra.Command, args []string) error {
		n, err := run(c.Context(), e, args)
		if err == nil && c.Context().Err() != nil && (n == exitOK || n == exitViolated) {
			n = exitIncomplete // Ctrl-C: incomplete, whatever the moment (issue 11)
		}
		code.code = n
		return err
	}
	if s.nargs == 0 {
		c.ValidArgsFunction = cobra.NoFileCompletions
	}
	return c
}

// nargs accepts exactly n positional arguments, with the errors of
// rcucheck's earlier parser.
func nargs(n int) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		switch {
		case len(args) < n:
			return usagef("missing FILE argument")
		case len(args) > n:
			return usagef("unexpected argument %q", args[n])
		}
		return nil
	}
}

// newRoot is the rcucheck command with every subcommand.
func newRoot(e *env, code *exitCode) *cobra.Command {
	root := &cobra.Command{
		Use:   "rcucheck",
		Short: "proves or refutes memory bounds of RCU reclaim designs",
		Long: "rcucheck proves or refutes memory bounds of RCU reclaim designs on the reference model of kvfree_rcu().\n" +
			"With no command it runs claims.\n\n" +
			"exit codes: 0 all properties hold, 1 a property is violated, 2 bad usage or input, 3 incomplete run",
		Version:                    version(),
		SilenceErrors:              true,
		SilenceUsage:               true,
		DisableSuggestions:         true, // unknownCommand suggests, on one line
		SuggestionsMinimumDistance: 2,
		Args:                       unknownCommand,
		RunE:                       func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	for _, s := range commands() {
		root.AddCommand(newCommand(e, s, code))
	}
	root.AddCommand(importCommand(e, code))
	root.AddCommand(mergeCommand(e, code))
	root.SetHelpCommand(helpCommand(root))
	return root
}

// unknownCommand refuses a word that names no command, suggesting the
// nearest.
func unknownCommand(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	hint := ""
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		hint = fmt.Sprintf(", did you mean %q?", s[0])
	}
	return usagef("unknown command %q (run 'rcucheck help'%s)", args[0], hint)
}

// helpCommand is "rcucheck help [COMMAND]": the commands, or a command's
// synopsis and flags; an unknown command is a usage error.
func helpCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "list the commands, or a command's flags",
		RunE: func(_ *cobra.Command, args []string) error {
			c, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				return usagef("unknown help topic %q (run 'rcucheck help')", strings.Join(args, " "))
			}
			return c.Help()
		},
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var names []cobra.Completion
			for _, c := range root.Commands() {
				if c.IsAvailableCommand() && len(args) == 0 {
					names = append(names, cobra.CompletionWithDesc(c.Name(), c.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
	}
}

// version is rcucheck's version from the build: the module version, the
// VCS revision and time when the build recorded them, and Go's version.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	return versionOf(bi)
}

// versionOf is the version that the build information bi gives.
func versionOf(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" {
		v += ", revision " + rev
		if modified {
			v += " with local changes"
		}
		if at != "" {
			v += " of " + at
		}
	}
	return v + ", " + bi.GoVersion
}

// run executes rcucheck with args and returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	var code exitCode
	root := newRoot(e, &code)
	args = defaultCommand(args)
	if c, _, err := root.Find(args); err == nil {
		c.InitDefaultHelpFlag()
		c.InitDefaultVersionFlag()
		args = longFlags(c.Flags(), args)
	}
	root.SetArgs(args)
	c, err := root.ExecuteContextC(ctx)
	if err == nil {
		return code.code
	}
	fmt.Fprintf(e.stderr, "%s: %v\n", c.CommandPath(), oneLine(err.Error()))
	var u usageError
	if errors.As(err, &u) || code.code == exitOK {
		return exitUsage
	}
	return code.code
}

// defaultCommand puts "claims" before args that name no command: no
// arguments, or flags first other than those of rcucheck itself.
func defaultCommand(args []string) []string {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args
	}
	if len(args) > 0 {
		switch strings.TrimLeft(args[0], "-") {
		case "h", "help", "v", "version":
			return args
		}
	}
	return append([]string{"claims"}, args...)
}

// longFlags rewrites the single-dash long flags of Go's flag package
// (-calls 2, -calls=2, -quiet) as pflag's double-dash ones, so that
// scripts written for rcucheck's earlier parser keep working (pflag reads
// -calls as the shorthands c, a, l, l, s). Only names of fs are rewritten,
// never the value of a flag (--window -3 stays), nor anything after "--".
func longFlags(fs *pflag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			out = append(out, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		f := fs.Lookup(name)
		if f == nil || len(name) < 2 {
			out = append(out, a)
			continue
		}
		if !strings.HasPrefix(a, "--") {
			a = "-" + a
		}
		out = append(out, a)
		if !hasValue && f.NoOptDefVal == "" && i+1 < len(args) {
			i++
			out = append(out, args[i]) // the flag's value, whatever it looks like
		}
	}
	return out
}

// parseFlagSet parses args into fs as a command does (single-dash long
// flags accepted, errors as usage errors of one line) and refuses
// positional arguments.
func parseFlagSet(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(longFlags(fs, args)); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// flagError is the usage error of a flag that did not parse, in the words
// of Go's flag package (which rcucheck used before pflag: scripts may
// match them), on one line even when the flag's name or value holds line
// breaks.
func flagError(err error) error {
	var (
		inv *pflag.InvalidValueError
		ne  *pflag.NotExistError
		vr  *pflag.ValueRequiredError
		num *strconv.NumError
	)
	msg := err.Error()
	switch {
	case errors.As(err, &inv):
		cause := errors.Unwrap(inv)
		if errors.As(cause, &num) {
			cause = num.Err
		}
		msg = fmt.Sprintf("invalid value %q for flag --%s: %v", inv.GetValue(), inv.GetFlag().Name, cause)
	case errors.As(err, &ne) && ne.GetSpecifiedShortnames() != "":
		msg = fmt.Sprintf("flag provided but not defined: -%s", ne.GetSpecifiedName())
	case errors.As(err, &ne):
		msg = fmt.Sprintf("flag provided but not defined: --%s", ne.GetSpecifiedName())
	case errors.As(err, &vr):
		msg = fmt.Sprintf("flag needs an argument: --%s", vr.GetFlag().Name)
	}
	return usageError{errors.New(oneLine(msg))}
}

// oneLine writes the line breaks of s as \n.
func oneLine(s string) string {
	return strings.ReplaceAll(s, "\n", `\n`)
}
