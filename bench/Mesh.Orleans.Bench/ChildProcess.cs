using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Mesh.Orleans.Bench;

/// <summary>
/// A process the bench starts and stops (a control-plane role or the baseline server), with
/// the ports it prints and its <c>/debug/stats</c>. If the bench itself is ended (SIGTERM,
/// such as <c>timeout</c> sends) before disposing it, the process is killed on the way out.
/// </summary>
internal sealed partial class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;
    private readonly EventHandler _killOnExit;

    private ChildProcess(Process process, EventHandler killOnExit, int xdsPort, int debugPort)
    {
        _process = process;
        _killOnExit = killOnExit;
        XdsPort = xdsPort;
        DebugPort = debugPort;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{debugPort}"), Timeout = TimeSpan.FromMinutes(2) };
    }

    public int XdsPort { get; }

    public int DebugPort { get; }

    public int Pid => _process.Id;

    /// <summary>
    /// Starts <paramref name="dll"/> and waits (at most <paramref name="startTimeout"/>, default 2 min) until it has printed its ports;
    /// with <paramref name="logFile"/>, everything it prints on stdout (its log) is also appended there.
    /// </summary>
    public static async Task<ChildProcess> StartAsync(string dll, IEnumerable<string> args, bool expectXds, TimeSpan? startTimeout = null, string? logFile = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["DOTNET_gcServer"] = "0";
        if (logFile is not null)
        {
            // A kept log says when each entry happened, in UTC, as the bench's own lines do.
            start.Environment["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ";
            start.Environment["Logging__Console__UseUtcTimestamp"] = "true";
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + dll);
        EventHandler killOnExit = (_, _) => Kill(process);
        AppDomain.CurrentDomain.ProcessExit += killOnExit;
        var errors = process.StandardError.ReadToEndAsync();
        var log = logFile is null ? null : new StreamWriter(logFile, append: true) { AutoFlush = true };
        int? xds = expectXds ? null : 0;
        int? debug = null;
        using var timeout = new CancellationTokenSource(startTimeout ?? TimeSpan.FromMinutes(2));
        try
        {
            while (xds is null || debug is null)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException(dll + " exited before printing its ports");
                log?.WriteLine(line);
                if (XdsLine().Match(line) is { Success: true } x)
                {
                    xds = int.Parse(x.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                }

                if (DebugLine().Match(line) is { Success: true } d)
                {
                    debug = int.Parse(d.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception exception) when (exception is InvalidOperationException or OperationCanceledException)
        {
            // Never leave a process behind that did not come up; say what it printed on stderr.
            AppDomain.CurrentDomain.ProcessExit -= killOnExit;
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            var stderr = await errors.WaitAsync(TimeSpan.FromSeconds(5));
            process.Dispose();
            if (log is not null)
            {
                await log.DisposeAsync();
            }

            throw new InvalidOperationException($"{dll} did not print its ports ({exception.Message}); stderr: {stderr.Trim()}", exception);
        }

        _ = log is null ? process.StandardOutput.ReadToEndAsync() : CopyAsync(process.StandardOutput, log);
        return new ChildProcess(process, killOnExit, xds.Value, debug.Value);
    }

    /// <summary>The process's stats; <paramref name="collect"/> runs a full GC first so the heap is live data only.</summary>
    public async Task<JsonObject> StatsAsync(bool collect = false) =>
        (await _http.GetFromJsonAsync<JsonObject>(collect ? "/debug/stats?gc" : "/debug/stats"))!;

    /// <summary>A debug endpoint's JSON, such as <c>/debug/clusterz</c>.</summary>
    public async Task<JsonNode?> GetJsonAsync(string path, CancellationToken cancellationToken = default) =>
        await _http.GetFromJsonAsync<JsonNode>(path, cancellationToken);

    public Task PostAsync(string path) => _http.PostAsync(path, null);

    /// <summary>Sends SIGTERM, as a supervisor stopping the process does.</summary>
    public void Terminate()
    {
        if (SendSignal(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed");
        }
    }

    /// <summary>Waits for the process to exit, at most <paramref name="timeout"/>.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
    }

#pragma warning disable SYSLIB1054 // DllImport: the source-generated form needs unsafe code in the project.
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static extern int SendSignal(int pid, int signal);
#pragma warning restore SYSLIB1054

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= _killOnExit;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _http.Dispose();
    }

    private static async Task CopyAsync(StreamReader output, StreamWriter log)
    {
        await using (log)
        {
            while (await output.ReadLineAsync() is { } line)
            {
                await log.WriteLineAsync(line);
            }
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It has exited already.
        }
    }

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex XdsLine();

    [GeneratedRegex(@"http://127\.0\.0\.1:(\d+)/debug")]
    private static partial Regex DebugLine();
}
