using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// A Node script under <c>Tests/node</c>, driven by one JSON line per command on stdin and
/// answering one JSON line per command on stdout. Killed (with its children) on dispose.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stderr = new();

    private NodeProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
            }
            else
            {
                _lines.Writer.TryWrite(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>What the script wrote to stderr so far.</summary>
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

    /// <summary>Starts <paramref name="script"/> with <paramref name="args"/> and extra environment variables.</summary>
    public static async Task<NodeProcess> StartAsync(string script, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        await NodeTools.EnsureInstalledAsync();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = NodeTools.Directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        return new NodeProcess(process);
    }

    /// <summary>The next line the script writes, parsed as JSON.</summary>
    public async Task<JsonNode> ReadAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            var line = await _lines.Reader.ReadAsync(cts.Token);
            return JsonNode.Parse(line) ?? throw new InvalidOperationException("null JSON line");
        }
        catch (Exception exception) when (exception is OperationCanceledException or ChannelClosedException)
        {
            throw new InvalidOperationException($"node wrote no answer in time; stderr:\n{Stderr}", exception);
        }
    }

    /// <summary>Sends one command and returns its answer.</summary>
    public async Task<JsonNode> AskAsync(object command, TimeSpan? timeout = null)
    {
        await _process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(command));
        await _process.StandardInput.FlushAsync();
        return await ReadAsync(timeout);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (Exception exception) when (exception is OperationCanceledException or InvalidOperationException or IOException)
        {
        }
        finally
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }
}
