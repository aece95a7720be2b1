namespace Mesh.Orleans.Xds.Frontend;

/// <summary>Counters of one stream: how many responses, and how many message bytes, it was sent.</summary>
public sealed class StreamStats
{
    private long _responses;
    private long _bytes;

    /// <summary>Responses written to the stream.</summary>
    public long Responses => Interlocked.Read(ref _responses);

    /// <summary>Serialized response bytes written (without gRPC framing).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    internal void Sent(int bytes)
    {
        Interlocked.Increment(ref _responses);
        Interlocked.Add(ref _bytes, bytes);
    }
}
