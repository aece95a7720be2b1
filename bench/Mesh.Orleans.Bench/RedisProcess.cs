using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Mesh.Orleans.Bench;

/// <summary>
/// Debian's <c>redis-server</c> on 127.0.0.1, with an append-only file in a folder of its own,
/// so that a restart keeps the membership table and grain state as a deployed Redis does.
/// </summary>
internal sealed class RedisProcess : IDisposable
{
    private const string Executable = "/usr/bin/redis-server";
    private readonly string _directory;
    private Process? _process;

    public RedisProcess(int port, string directory)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: install Debian's redis-server (apt-get install -y redis-server), or run the test suite once, which installs it");
        }

        Port = port;
        _directory = directory;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill();
        Start();
    }

    public int Port { get; }

    /// <summary>The CPU time the running server has used (since it last started).</summary>
    public TimeSpan Cpu
    {
        get
        {
            var process = _process ?? throw new InvalidOperationException("redis-server is not running");
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    /// <summary>Starts it (again) on the same port and folder; returns once it accepts connections.</summary>
    public void Start()
    {
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _directory, "--save", string.Empty, "--appendonly", "yes" })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start redis-server");
        _ = _process.StandardOutput.ReadToEndAsync();
        _ = _process.StandardError.ReadToEndAsync();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(25);
            }
        }

        throw new InvalidOperationException("redis-server did not listen");
    }

    /// <summary>SIGTERM, as a supervisor restarting it does (Redis writes its file and exits).</summary>
    public async Task StopAsync()
    {
        var process = _process ?? throw new InvalidOperationException("redis-server is not running");
        if (ChildProcess.SendSignal(process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"kill({process.Id}, SIGTERM) failed");
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        process.Dispose();
        _process = null;
    }

    private void Kill()
    {
        try
        {
            _process?.Kill();
            _process?.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    // It must not outlive the bench: it would hold what the bench holds (a lock file, a port).
    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp folder.
        }
    }
}
