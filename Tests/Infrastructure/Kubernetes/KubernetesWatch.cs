using System.Threading.Channels;

namespace Mesh.Orleans.Tests.Infrastructure.Kubernetes;

/// <summary>
/// One open watch stream: the lines still to be written to it, in revision order. The store fills
/// it under its lock, so replayed and live events can neither be lost nor repeated.
/// </summary>
internal sealed class KubernetesWatch(KubernetesResourceType type, string? @namespace, KubernetesFieldSelector? selector, bool bookmarks)
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private volatile bool _aborted;

    /// <summary>The watched type.</summary>
    public KubernetesResourceType Type { get; } = type;

    /// <summary>The watched namespace, or null for every namespace.</summary>
    public string? Namespace { get; } = @namespace;

    /// <summary>The watch's field selector, or null when it sees every object of its type and namespace.</summary>
    public KubernetesFieldSelector? Selector { get; } = selector;

    /// <summary>Whether the client asked for bookmarks (<c>allowWatchBookmarks=true</c>).</summary>
    public bool Bookmarks { get; } = bookmarks;

    /// <summary>Whether the stream must end abruptly rather than cleanly.</summary>
    public bool Aborted => _aborted;

    /// <summary>The lines to write, each one JSON watch event.</summary>
    public ChannelReader<string> Lines => _lines.Reader;

    /// <summary>Whether an event of <paramref name="type"/> in <paramref name="namespace"/> belongs on this stream.</summary>
    public bool Matches(KubernetesResourceType type, string? @namespace) =>
        type == Type && (Namespace is null || Namespace == @namespace);

    /// <summary>Queues one event line.</summary>
    public void Send(string line) => _lines.Writer.TryWrite(line);

    /// <summary>Ends the stream cleanly once the queued lines are written.</summary>
    public void Close() => _lines.Writer.TryComplete();

    /// <summary>Ends the stream by aborting its connection, as a network failure or a dying server would.</summary>
    public void Abort()
    {
        _aborted = true;
        _lines.Writer.TryComplete();
    }
}
