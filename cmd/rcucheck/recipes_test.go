package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
	"sigs.k8s.io/yaml"

	"github.com/rcucheck/rcucheck/gate"
)

// recipeMainEnv makes the test binary run rcucheck's main instead of the
// tests: the recipes' commands run as separate rcucheck processes.
const recipeMainEnv = "RCUCHECK_RECIPE_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(recipeMainEnv) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// recipes returns the yaml blocks of docs/ci-recipes.md by the name of the
// "<!-- recipe: NAME -->" line before them.
func recipes(t *testing.T) map[string]string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "ci-recipes.md"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- recipe: ([a-z-]+) -->\n```yaml\n(.*?)```")
	out := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(doc), -1) {
		out[m[1]] = m[2]
	}
	for _, name := range []string{"github", "gitlab", "kubernetes", "kubernetes-merge"} {
		if out[name] == "" {
			t.Fatalf("docs/ci-recipes.md has no recipe %q", name)
		}
	}
	return out
}

// workspace is a fresh checkout for a job: gates/builtin.toml is the small
// gate of gate/testdata, so that the recipes' commands take a second.
func workspace(t *testing.T, dir string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "gate", "testdata", "shard.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "gates"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gates", "builtin.toml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// wholeGate runs the unsharded gate into a directory of its own.
func wholeGate(t *testing.T, tmp string) string {
	t.Helper()
	ws := workspace(t, filepath.Join(tmp, "whole"))
	if code, out := runScript(t, ws, "go run ./cmd/rcucheck gate --quiet --out whole-out gates/builtin.toml", nil); code != exitViolated {
		t.Fatalf("unsharded gate: exit %d, want 1 (the small gate has failing rows)\n%s", code, out)
	}
	return filepath.Join(ws, "whole-out")
}

// runScript runs a recipe's shell script in dir with the environment env
// ("K=V"): "go run ./cmd/rcucheck ARGS" runs rcucheck as a process of its
// own (this test binary, as main), test and [ are the shell's; any other
// command is refused. It returns the exit status and the output.
func runScript(t *testing.T, dir, script string, env []string) (int, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var mu sync.Mutex
	code := shellRun(t, script, dir, append([]string{"HOME=" + dir}, env...), &buf, func(ctx context.Context, hc interp.HandlerContext, args []string) error {
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Dir = hc.Dir
		cmd.Env = []string{recipeMainEnv + "=1"}
		hc.Env.Each(func(name string, vr expand.Variable) bool {
			if vr.Exported {
				cmd.Env = append(cmd.Env, name+"="+vr.String())
			}
			return true
		})
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		mu.Lock()
		buf.Write(out.Bytes())
		mu.Unlock()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return interp.ExitStatus(uint8(ee.ExitCode()))
		}
		return err
	}, 2*time.Minute)
	return code, buf.String()
}

// shellRun runs script with a shell interpreter in dir, with the
// environment env ("K=V") and its output to out, and returns its exit
// status; any other error fails the test. Its only commands are the shell's
// builtins and "go run ./cmd/rcucheck ARGS", which runs rcucheck(ctx, hc,
// ARGS).
func shellRun(t *testing.T, script, dir string, env []string, out io.Writer, rcucheck func(context.Context, interp.HandlerContext, []string) error, timeout time.Duration) int {
	t.Helper()
	prog, err := syntax.NewParser().Parse(strings.NewReader(script), "")
	if err != nil {
		t.Fatalf("%q: %v", script, err)
	}
	handler := func(interp.ExecHandlerFunc) interp.ExecHandlerFunc {
		return func(ctx context.Context, args []string) error {
			if strings.Join(args[:min(3, len(args))], " ") != rcucheckRun {
				return fmt.Errorf("%q: the test runs rcucheck only", strings.Join(args, " "))
			}
			return rcucheck(ctx, interp.HandlerCtx(ctx), args[3:])
		}
	}
	r, err := interp.New(interp.StdIO(nil, out, out), interp.Dir(dir), interp.ExecHandlers(handler), interp.Env(expand.ListEnviron(env...)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err = r.Run(ctx, prog)
	var status interp.ExitStatus
	switch {
	case err == nil:
		return 0
	case errors.As(err, &status):
		return int(status)
	}
	t.Fatalf("%q: %v", script, err)
	return 0
}

// parallel runs job(i) for i = 1..n at once, as an engine runs shards.
func parallel(n int, job func(i int)) {
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); job(i) }()
	}
	wg.Wait()
}

// ghStep and ghJob are what the test reads of a GitHub Actions workflow.
type ghStep struct {
	Name string            `json:"name"`
	Uses string            `json:"uses"`
	Run  string            `json:"run"`
	If   string            `json:"if"`
	With map[string]string `json:"with"`
}

type ghJob struct {
	Needs    string `json:"needs"`
	If       string `json:"if"`
	Strategy struct {
		Matrix struct {
			Shard []int `json:"shard"`
		} `json:"matrix"`
	} `json:"strategy"`
	Steps []ghStep `json:"steps"`
}

// TestRecipeGitHub runs the GitHub Actions recipe: each matrix job's run
// steps in a workspace of its own with its matrix value, its uploaded
// artifact downloaded into the merge job's workspace as download-artifact
// does (a directory per artifact), then the merge job's run steps; the
// merged output must be the unsharded gate's apart from timings.
func TestRecipeGitHub(t *testing.T) {
	var wf struct {
		Jobs map[string]ghJob `json:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(recipes(t)["github"]), &wf); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	shardJob, merge := wf.Jobs["gate"], wf.Jobs["merge"]
	shards := shardJob.Strategy.Matrix.Shard
	if len(shards) < 2 || merge.Needs != "gate" || merge.If != "always()" {
		t.Fatalf("workflow: matrix %v, merge needs %q if %q", shards, merge.Needs, merge.If)
	}
	tmp := t.TempDir()
	whole := wholeGate(t, tmp)
	mergeWS := workspace(t, filepath.Join(tmp, "merge"))
	parallel(len(shards), func(i int) {
		ws := workspace(t, filepath.Join(tmp, fmt.Sprint("job", i)))
		expr := strings.NewReplacer("${{ matrix.shard }}", fmt.Sprint(shards[i-1]), "${{ strategy.job-total }}", fmt.Sprint(len(shards)))
		for _, st := range shardJob.Steps {
			switch {
			case st.Run != "":
				if code, out := runScript(t, ws, expr.Replace(st.Run), nil); code > exitViolated {
					t.Errorf("shard %d: %q: exit %d\n%s", i, st.Run, code, out)
				}
			case strings.HasPrefix(st.Uses, "actions/upload-artifact@"):
				name, path := expr.Replace(st.With["name"]), expr.Replace(st.With["path"])
				if err := os.CopyFS(filepath.Join(mergeWS, name), os.DirFS(filepath.Join(ws, path))); err != nil {
					t.Errorf("shard %d: upload-artifact %s: %v", i, path, err)
				}
			}
		}
	})
	var report string
	for _, st := range merge.Steps {
		if st.Run != "" {
			if code, out := runScript(t, mergeWS, st.Run, nil); code != exitViolated {
				t.Errorf("merge: %q: exit %d, want 1 as the whole gate\n%s", st.Run, code, out)
			}
		}
		if p := st.With["report_paths"]; p != "" {
			report = p
		}
	}
	if _, err := os.Stat(filepath.Join(mergeWS, report)); report == "" || err != nil {
		t.Errorf("the JUnit report %q is not where the merge job publishes it: %v", report, err)
	}
	if err := gate.DiffOutputs(whole, filepath.Join(mergeWS, "gate-out")); err != nil {
		t.Error(err)
	}
}

// glJob is what the test reads of a GitLab CI job.
type glJob struct {
	Stage     string   `json:"stage"`
	Parallel  int      `json:"parallel"`
	When      string   `json:"when"`
	Script    []string `json:"script"`
	Artifacts struct {
		When    string            `json:"when"`
		Paths   []string          `json:"paths"`
		Reports map[string]string `json:"reports"`
	} `json:"artifacts"`
}

// TestRecipeGitLab runs the GitLab CI recipe: the parallel job N times
// with CI_NODE_INDEX (1-based) and CI_NODE_TOTAL, its artifacts' paths
// copied into the merge job's workspace, then the merge job's script.
func TestRecipeGitLab(t *testing.T) {
	var ci map[string]glJob
	src := recipes(t)["gitlab"]
	if err := yaml.Unmarshal([]byte(strings.Replace(src, "stages: [gate, merge]", "", 1)), &ci); err != nil {
		t.Fatalf(".gitlab-ci.yml: %v", err)
	}
	shardJob, merge := ci["rcucheck-gate"], ci["rcucheck-merge"]
	n := shardJob.Parallel
	if n < 2 || merge.When != "always" || merge.Artifacts.Reports["junit"] == "" || shardJob.Artifacts.When != "always" {
		t.Fatalf(".gitlab-ci.yml: parallel %d, merge when %q, junit %q", n, merge.When, merge.Artifacts.Reports["junit"])
	}
	tmp := t.TempDir()
	whole := wholeGate(t, tmp)
	mergeWS := workspace(t, filepath.Join(tmp, "merge"))
	parallel(n, func(i int) {
		ws := workspace(t, filepath.Join(tmp, fmt.Sprint("job", i)))
		env := []string{fmt.Sprintf("CI_NODE_INDEX=%d", i), fmt.Sprintf("CI_NODE_TOTAL=%d", n)}
		for _, line := range shardJob.Script {
			if code, out := runScript(t, ws, line, env); code > exitViolated {
				t.Errorf("job %d/%d: %q: exit %d\n%s", i, n, line, code, out)
			}
		}
		for _, p := range shardJob.Artifacts.Paths {
			matches, _ := filepath.Glob(filepath.Join(ws, p))
			for _, m := range matches {
				rel, _ := filepath.Rel(ws, m)
				if err := os.CopyFS(filepath.Join(mergeWS, rel), os.DirFS(m)); err != nil {
					t.Errorf("job %d: artifact %s: %v", i, rel, err)
				}
			}
		}
	})
	for _, line := range merge.Script {
		if code, out := runScript(t, mergeWS, line, nil); code != exitViolated {
			t.Errorf("merge: %q: exit %d, want 1 as the whole gate\n%s", line, code, out)
		}
	}
	if _, err := os.Stat(filepath.Join(mergeWS, merge.Artifacts.Reports["junit"])); err != nil {
		t.Errorf("the JUnit report: %v", err)
	}
	if err := gate.DiffOutputs(whole, filepath.Join(mergeWS, "gate-out")); err != nil {
		t.Error(err)
	}
}

// job decodes a Job manifest strictly into the Kubernetes batch/v1 type
// (an unknown or mistyped field is an error) and checks what the API
// server would refuse outright: names, a container, the restart policy.
func job(t *testing.T, manifest string) *batchv1.Job {
	t.Helper()
	var j batchv1.Job
	if err := yaml.UnmarshalStrict([]byte(manifest), &j); err != nil {
		t.Fatalf("Job manifest: %v", err)
	}
	if j.APIVersion != "batch/v1" || j.Kind != "Job" {
		t.Fatalf("Job manifest: %s %s", j.APIVersion, j.Kind)
	}
	for _, msg := range validation.IsDNS1123Subdomain(j.Name) {
		t.Errorf("Job name %q: %s", j.Name, msg)
	}
	ps := j.Spec.Template.Spec
	if len(ps.Containers) != 1 || (ps.RestartPolicy != corev1.RestartPolicyNever && ps.RestartPolicy != corev1.RestartPolicyOnFailure) {
		t.Fatalf("Job %s: %d containers, restartPolicy %q (a Job wants Never or OnFailure)", j.Name, len(ps.Containers), ps.RestartPolicy)
	}
	vols := map[string]bool{}
	for _, v := range ps.Volumes {
		vols[v.Name] = true
	}
	for _, m := range ps.Containers[0].VolumeMounts {
		if !vols[m.Name] {
			t.Errorf("Job %s: volumeMount %q has no volume", j.Name, m.Name)
		}
	}
	return &j
}

// podScript is the shell script of a Job's container (command sh -c),
// its absolute paths rebased into root, and the container's environment.
func podScript(t *testing.T, j *batchv1.Job, root string) (string, []string) {
	t.Helper()
	c := j.Spec.Template.Spec.Containers[0]
	if strings.Join(c.Command, " ") != "sh -c" || len(c.Args) != 1 {
		t.Fatalf("Job %s: command %q args %q, want sh -c SCRIPT", j.Name, c.Command, c.Args)
	}
	var env []string
	for _, e := range c.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	script := c.Args[0]
	for _, m := range c.VolumeMounts {
		script = strings.ReplaceAll(script, m.MountPath+"/", filepath.Join(root, m.Name)+"/")
	}
	return script, env
}

// TestRecipeKubernetes validates the Indexed Job and the merge Job and runs
// the gate Job's command as its pods would (JOB_COMPLETION_INDEX 0..n-1,
// the container's env, a shared results volume), then the merge Job's.
func TestRecipeKubernetes(t *testing.T) {
	rs := recipes(t)
	gj, mj := job(t, rs["kubernetes"]), job(t, rs["kubernetes-merge"])
	s := gj.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion || s.Completions == nil || s.Parallelism == nil {
		t.Fatalf("Job %s: not an Indexed Job with completions and parallelism", gj.Name)
	}
	n := int(*s.Completions)
	tmp := t.TempDir()
	whole := wholeGate(t, tmp)
	script, env := podScript(t, gj, tmp)
	if !strings.Contains(strings.Join(env, " "), fmt.Sprintf("RCUCHECK_SHARDS=%d", n)) || int(*s.Parallelism) != n {
		t.Fatalf("Job %s: completions %d, parallelism %d, env %v: want RCUCHECK_SHARDS equal to both", gj.Name, n, *s.Parallelism, env)
	}
	workspace(t, filepath.Join(tmp, "src"))
	if err := os.MkdirAll(filepath.Join(tmp, "results"), 0o755); err != nil {
		t.Fatal(err)
	}
	wd := filepath.Join(tmp, "src")
	parallel(n, func(i int) {
		penv := append([]string{fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i-1)}, env...)
		if code, out := runScript(t, wd, script, penv); code != 0 {
			t.Errorf("pod %d: exit %d: the pod fails\n%s", i-1, code, out)
		}
	})
	mscript, menv := podScript(t, mj, tmp)
	if code, out := runScript(t, wd, mscript, menv); code != exitViolated {
		t.Errorf("merge Job: exit %d, want 1 as the whole gate\n%s", code, out)
	}
	if err := gate.DiffOutputs(whole, filepath.Join(tmp, "results", "gate-out")); err != nil {
		t.Error(err)
	}
}
