using Google.Protobuf;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// Checks resources against the protoc-gen-validate rules in Envoy's canonical protos (the
/// <c>(validate.rules)</c> annotations Envoy enforces before it accepts a resource; a resource that
/// breaks one is NACKed). Drives <c>Tests/node/validate.js</c>: one Node process, shared by every
/// call and safe to call from parallel tests. Usable as an xunit class fixture.
/// </summary>
public sealed class EnvoyValidation : IAsyncLifetime, IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NodeProcess? _node;
    private long _checkedRules;

    /// <summary>How many rules the validator evaluated so far, over every call (proves the annotations were seen).</summary>
    public long CheckedRules => Interlocked.Read(ref _checkedRules);

    /// <summary>Starts a validator (its Node process).</summary>
    public static async Task<EnvoyValidation> StartAsync()
    {
        var validation = new EnvoyValidation();
        await validation.InitializeAsync();
        return validation;
    }

    /// <inheritdoc/>
    public async Task InitializeAsync() => _node ??= await NodeProcess.StartAsync("validate.js", []);

    /// <summary>
    /// The rules <paramref name="resource"/> breaks, each as <c>path: rule (what was found)</c>, or
    /// <c>unchecked rule X at path</c> for a rule the validator cannot evaluate; empty when Envoy would
    /// accept it. A <see cref="TypeUrls.VirtualHostPiece"/> is checked as the VirtualHost it is.
    /// </summary>
    public Task<IReadOnlyList<string>> ValidateAsync(XdsResource resource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return ValidateAsync(resource.TypeUrl, UnsafeByteOperations.UnsafeWrap(resource.Payload), cancellationToken);
    }

    /// <summary>The rules <paramref name="message"/> breaks (see <see cref="ValidateAsync(XdsResource, CancellationToken)"/>).</summary>
    public Task<IReadOnlyList<string>> ValidateAsync(IMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return ValidateAsync(TypeUrls.Prefix + message.Descriptor.FullName, message.ToByteString(), cancellationToken);
    }

    /// <summary>
    /// The rules the message of <paramref name="typeUrl"/> serialised as <paramref name="bytes"/> breaks
    /// (see <see cref="ValidateAsync(XdsResource, CancellationToken)"/>). The type is the part of the URL
    /// after its last <c>/</c>.
    /// </summary>
    public async Task<IReadOnlyList<string>> ValidateAsync(string typeUrl, ByteString bytes, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeUrl);
        ArgumentNullException.ThrowIfNull(bytes);
        var node = _node ?? throw new InvalidOperationException("the validator is not started");
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var reply = await node.AskAsync(new { type = typeUrl, b64 = bytes.ToBase64() });
            if (reply["error"] is { } error)
            {
                throw new InvalidOperationException($"validate.js could not check {typeUrl}: {error}");
            }

            Interlocked.Add(ref _checkedRules, (long)reply["checked"]!);
            return reply["violations"]!.AsArray().Select(v => (string)v!).ToList();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_node is { } node)
        {
            _node = null;
            await node.DisposeAsync();
        }

        _gate.Dispose();
    }

    /// <inheritdoc/>
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}
