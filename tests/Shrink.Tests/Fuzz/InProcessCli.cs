using System.CommandLine;
using System.Text;

namespace Shrink.Tests.Fuzz;

/// <summary>
/// Runs the <c>shrink</c> command line inside the test process (the fuzz corpus is too large to spawn a process per
/// case), with standard output and error captured. Console writers are process-wide: callers must not run in parallel
/// with other tests that write to the console (see <see cref="FuzzCollection"/>).
/// </summary>
internal static class InProcessCli
{
    /// <summary>What the run wrote and returned; <paramref name="TimedOut"/>: it did not end within the time allowed (<paramref name="Unblocked"/>: but did once unblocked).</summary>
    public sealed record Result(int ExitCode, string Stdout, string Stderr, Exception? Escaped, bool TimedOut, bool Unblocked);

    private static readonly SwitchingWriter Out = new(), Err = new();
    private static readonly Lock Gate = new();

    /// <summary>The same commands as Program.cs builds (the CLI's entry is top-level code, so the list is repeated here).</summary>
    private static RootCommand Root() => global::Shrink.Cli.Cli.CreateRoot();

    /// <summary>
    /// Runs <paramref name="args"/> (paths in them should be absolute).
    /// A run past <paramref name="timeout"/> is reported as timed out; <paramref name="unblock"/> is then called to help it end.
    /// </summary>
    public static Result Run(string[] args, TimeSpan timeout, Action? unblock = null)
    {
        lock (Gate)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            Out.Target = TextWriter.Synchronized(stdout);
            Err.Target = TextWriter.Synchronized(stderr);
            Console.SetOut(Out);
            Console.SetError(Err);
            try
            {
                int exit = -1;
                Exception? escaped = null;
                var thread = new Thread(() =>
                {
                    try { exit = global::Shrink.Cli.Cli.Run(Root(), args); }
                    catch (Exception e) { escaped = e; }
                }, 16 << 20)
                { IsBackground = true, Name = "fuzz case" };
                thread.Start();
                bool intime = thread.Join(timeout), finished = intime;
                if (!intime)
                {
                    unblock?.Invoke();
                    // Wait for a slow run to end (it is reported all the same), so it does not slow the cases after it.
                    finished = thread.Join(TimeSpan.FromMinutes(2));
                }
                // A run that is still going keeps writing into writers nobody reads.
                Out.Target = TextWriter.Null;
                Err.Target = TextWriter.Null;
                return new Result(finished ? exit : -1, stdout.ToString(), stderr.ToString(), escaped, !intime, !intime && finished);
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }

    /// <summary>A writer that forwards to a target that can be changed; the CLI's consoles keep the writer they first saw.</summary>
    private sealed class SwitchingWriter : TextWriter
    {
        public TextWriter Target { get; set; } = Null;

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Target.Write(value);

        public override void Write(string? value) => Target.Write(value);

        public override void Write(char[] buffer, int index, int count) => Target.Write(buffer, index, count);

        public override void WriteLine(string? value) => Target.WriteLine(value);

        public override void Flush() => Target.Flush();
    }
}
