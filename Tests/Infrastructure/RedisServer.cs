using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> on 127.0.0.1 and a free port, without persistence, for the tests of a
/// scaled-out deployment. When the machine lacks it, the first start installs Debian's
/// <c>redis-server</c> package (as root, with service starts denied so no daemon is left on
/// Redis's default port). Disposing kills it; <see cref="RestartAsync"/> stops and starts it on the
/// same port, as a Redis restart would.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const string Executable = "/usr/bin/redis-server";
    private readonly string? _dataDirectory;
    private Process? _process;

    private RedisServer(int port, string? dataDirectory)
    {
        Port = port;
        _dataDirectory = dataDirectory;
    }

    /// <summary>The port it listens on (127.0.0.1).</summary>
    public int Port { get; }

    /// <summary>The value of <c>--redis</c> for it.</summary>
    public string Address => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>
    /// Installs Redis when needed, starts it, and waits until it answers. With
    /// <paramref name="keepData"/> it keeps its data across <see cref="RestartAsync"/> (an
    /// append-only file, written on every command, in a temporary folder), as a production Redis does.
    /// </summary>
    public static async Task<RedisServer> StartAsync(bool keepData = false)
    {
        await DebianPackages.EnsureInstalledAsync("redis-server", Executable, TimeSpan.FromMinutes(5));
        var server = new RedisServer(TestPorts.Free(), keepData ? Directory.CreateTempSubdirectory("mesh-redis-").FullName : null);
        await server.LaunchAsync();
        return server;
    }

    /// <summary>Kills it and starts it again on the same port: empty, unless it keeps its data.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await LaunchAsync();
    }

    /// <summary>Starts it again after <see cref="StopAsync"/>, on the same port: empty, unless it keeps its data.</summary>
    public Task StartAgainAsync() => LaunchAsync();

    /// <summary>Kills it (SIGKILL).</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await process.WaitForExitAsync(timeout.Token);
            }

            process.Dispose();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_dataDirectory is not null)
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private async Task LaunchAsync()
    {
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] persistence = _dataDirectory is null
            ? ["--appendonly", "no"]
            : ["--appendonly", "yes", "--appendfsync", "always", "--dir", _dataDirectory];
        foreach (var arg in new[] { "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", string.Empty, "--protected-mode", "yes" }.Concat(persistence))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start redis-server");
        _process = process;
        _ = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var deadline = Stopwatch.StartNew();
        while (!await PingAsync())
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited ({process.ExitCode}): {await stderr}");
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                await StopAsync();
                throw new TimeoutException("redis-server did not answer PING within 20 s");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Whether it answers PING with PONG now.</summary>
    public async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception exception) when (exception is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
