using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// The Silo executable in its own process, started as operators start it (<c>dotnet
/// Mesh.Orleans.Silo.dll</c> with its command line) on 127.0.0.1 ports it picks itself. Keeps
/// everything the process writes, so tests can look at its console output. Disposing kills it.
/// </summary>
public sealed partial class SiloProcess : IAsyncDisposable
{
    /// <summary>SIGTERM: how a supervisor (Kubernetes, systemd) stops a process.</summary>
    public const int SigTerm = 15;

    /// <summary>SIGINT: Ctrl+C.</summary>
    public const int SigInt = 2;

    private readonly Process _process;
    private readonly Output _output;

    private SiloProcess(Process process, Output output, int xdsPort, int xdsTlsPort, int debugPort)
    {
        _process = process;
        _output = output;
        XdsPort = xdsPort;
        XdsTlsPort = xdsTlsPort;
        DebugPort = debugPort;
    }

    /// <summary>The bound xDS port (0 when the process runs no frontend or no plaintext port).</summary>
    public int XdsPort { get; }

    /// <summary>The bound TLS xDS port (0 when the process runs no frontend).</summary>
    public int XdsTlsPort { get; }

    /// <summary>The bound debug port.</summary>
    public int DebugPort { get; }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process wrote to stdout so far.</summary>
    public string StandardOutput => _output.Stdout;

    /// <summary>Everything the process wrote to stderr so far.</summary>
    public string StandardError => _output.Stderr;

    /// <summary>Starts the executable with <paramref name="args"/> as they are, its output redirected.</summary>
    public static Process Launch(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Mesh.Orleans.Silo.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Logging__LogLevel__Default"] = "Warning";
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the silo");
    }

    /// <summary>
    /// Starts the executable with <paramref name="args"/> plus free ports (xDS and debug port 0, a free
    /// silo port, and <paramref name="gatewayPort"/> or a free gateway port) and waits until it printed its ports.
    /// </summary>
    public static async Task<SiloProcess> StartAsync(IEnumerable<string> args, int? gatewayPort = null, bool expectXds = true)
    {
        var process = Launch(args.Concat(
        [
            "--xds-port", "0", "--xds-tls-port", "0", "--debug-port", "0",
            "--silo-port", TestPorts.Free().ToString(CultureInfo.InvariantCulture),
            "--gateway-port", (gatewayPort ?? TestPorts.Free()).ToString(CultureInfo.InvariantCulture),
        ]));
        var output = new Output(process);
        try
        {
            int? xds = expectXds ? null : 0;
            var tls = 0;
            int? debug = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (xds is null || debug is null)
            {
                var line = await output.NextStdoutLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException($"the silo exited ({(process.HasExited ? process.ExitCode : -1)}) before printing its ports: {output.Stderr}");
                if (XdsLine().Match(line) is { Success: true } x)
                {
                    xds = int.Parse(x.Groups[1].Value, CultureInfo.InvariantCulture);
                }

                if (TlsLine().Match(line) is { Success: true } t)
                {
                    tls = int.Parse(t.Groups[1].Value, CultureInfo.InvariantCulture);
                }

                if (DebugLine().Match(line) is { Success: true } d)
                {
                    debug = int.Parse(d.Groups[1].Value, CultureInfo.InvariantCulture);
                }
            }

            // The TLS line comes before the debug line, so it is in by now when the process prints one.
            return new SiloProcess(process, output, xds.Value, tls, debug.Value);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the executable with <paramref name="args"/> until it exits by itself (killed after
    /// <paramref name="timeout"/>) and returns its exit code and output.
    /// </summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToExitAsync(IEnumerable<string> args, TimeSpan timeout)
    {
        using var process = Launch(args);
        var output = new Output(process);
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await process.WaitForExitAsync(cts.Token);
            await output.Completion.WaitAsync(TimeSpan.FromSeconds(5));
            return (process.ExitCode, output.Stdout, output.Stderr);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the silo did not exit within {timeout.TotalSeconds} s; stdout: {output.Stdout} stderr: {output.Stderr}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>Sends <paramref name="signal"/> (default SIGTERM, as a supervisor stops a process).</summary>
    public void Terminate(int signal = SigTerm)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code; fails after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        await _output.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        return _process.ExitCode;
    }

    /// <summary>Kills the process at once (SIGKILL), as a crash or an OOM kill would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    // DllImport rather than LibraryImport: the source-generated form needs unsafe code in the project.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex XdsLine();

    [GeneratedRegex(@"xDS over TLS \(ADS, SDS, CA\) on 127\.0\.0\.1:(\d+)")]
    private static partial Regex TlsLine();

    [GeneratedRegex(@"http://127\.0\.0\.1:(\d+)/debug")]
    private static partial Regex DebugLine();

    /// <summary>Drains stdout and stderr as they are written, keeping all of it and queueing stdout lines.</summary>
    private sealed class Output
    {
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();
        private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

        public Output(Process process)
        {
            var stdout = PumpAsync(process.StandardOutput, _stdout, _lines.Writer);
            var stderr = PumpAsync(process.StandardError, _stderr, null);
            Completion = Task.WhenAll(stdout, stderr);
        }

        public Task Completion { get; }

        public string Stdout
        {
            get
            {
                lock (_stdout)
                {
                    return _stdout.ToString();
                }
            }
        }

        public string Stderr
        {
            get
            {
                lock (_stderr)
                {
                    return _stderr.ToString();
                }
            }
        }

        public async Task<string?> NextStdoutLineAsync(CancellationToken cancellationToken)
        {
            try
            {
                return await _lines.Reader.ReadAsync(cancellationToken);
            }
            catch (ChannelClosedException)
            {
                return null;
            }
        }

        private static async Task PumpAsync(StreamReader reader, StringBuilder into, ChannelWriter<string>? lines)
        {
            try
            {
                while (await reader.ReadLineAsync() is { } line)
                {
                    lock (into)
                    {
                        into.AppendLine(line);
                    }

                    lines?.TryWrite(line);
                }
            }
            finally
            {
                lines?.TryComplete();
            }
        }
    }
}
