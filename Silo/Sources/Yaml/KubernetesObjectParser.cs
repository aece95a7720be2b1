using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Reads multi-document Kubernetes YAML into the mesh's input records. Pure: text in,
/// objects and rejections out. Each document is validated on its own, so one bad object
/// never hides the good ones beside it. A re-read of a file may parse only its new and changed
/// documents (KubernetesObjectParser.Reuse.cs): the text is cut into pieces at document markers,
/// and a piece whose exact text the previous read held yields the documents read then.
/// </summary>
public static partial class KubernetesObjectParser
{
    /// <summary>Deepest nesting accepted; real Kubernetes objects stay far below it, and it keeps hostile input off the stack.</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// How the reason of an object rejected by the catch-all (an exception other than
    /// <see cref="InvalidFieldException"/> from a validator) begins. Such a rejection is a
    /// validator bug to fix; the fuzz tests look for it.
    /// </summary>
    internal const string ValidatorFailure = "could not be read";

    /// <summary>Parses <paramref name="text"/>, read from <paramref name="source"/>.</summary>
    public static ParsedFile Parse(string source, string text)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(text);

        var (stream, error) = Load(text);
        return stream is null
            ? new ParsedFile(source, error, [])
            : new ParsedFile(source, null, ReadDocuments(source, stream, firstIndex: 0));
    }

    /// <summary>Checks the structure of <paramref name="text"/> and loads it; the reason when it is not YAML the mesh reads.</summary>
    private static (YamlStream? Stream, string? Error) Load(string text)
    {
        var structureError = CheckStructure(text);
        if (structureError is not null)
        {
            return (null, structureError);
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (Exception exception) when (IsParserFailure(exception))
        {
            return (null, NotYaml(exception));
        }

        return (stream, null);
    }

    /// <summary>The objects of <paramref name="stream"/>, whose first document is document <paramref name="firstIndex"/> of the file.</summary>
    private static List<ParsedDocument> ReadDocuments(string source, YamlStream stream, int firstIndex)
    {
        var documents = new List<ParsedDocument>(stream.Documents.Count);
        for (var index = 0; index < stream.Documents.Count; index++)
        {
            var root = stream.Documents[index].RootNode;
            if (root is YamlScalarNode scalar && YamlFields.IsNull(scalar))
            {
                continue; // An empty document ("---" with nothing after it).
            }

            documents.Add(ParseDocument(source, firstIndex + index, root));
        }

        return documents;
    }

    private static ParsedDocument ParseDocument(string source, int index, YamlNode root)
    {
        var locator = $"document {index + 1}";
        if (root is not YamlMappingNode map)
        {
            return Reject(source, null, string.Empty, "a Kubernetes object must be a mapping with apiVersion, kind and metadata", locator);
        }

        ObjectKey? key = null;
        try
        {
            var kind = YamlFields.OptionalString(map, "kind", string.Empty) ?? string.Empty;
            var apiVersion = YamlFields.OptionalString(map, "apiVersion", string.Empty) ?? string.Empty;
            var metadata = YamlFields.OptionalMap(map, "metadata", string.Empty);
            var name = metadata is null ? null : YamlFields.OptionalString(metadata, "name", "metadata");
            var ns = (metadata is null ? null : YamlFields.OptionalString(metadata, "namespace", "metadata")) ?? "default";
            if (kind is "Namespace" or "Node")
            {
                ns = string.Empty; // Cluster-scoped.
            }

            if (kind.Length > 0 && !string.IsNullOrEmpty(name))
            {
                key = new ObjectKey(kind, ns, name);
            }

            if (kind.Length == 0)
            {
                throw new InvalidFieldException("kind", "is required");
            }

            if (apiVersion.Length == 0)
            {
                throw new InvalidFieldException("apiVersion", "is required");
            }

            if (metadata is null)
            {
                throw new InvalidFieldException("metadata", "is required");
            }

            if (string.IsNullOrEmpty(name))
            {
                throw new InvalidFieldException("metadata.name", "is required");
            }

            if (ns.Length > 0)
            {
                YamlFields.RequireDnsLabel(ns, "metadata.namespace");
            }
            object value = (apiVersion, kind) switch
            {
                ("v1", "Service") => ServiceParser.Parse(map, ns, name),
                ("discovery.k8s.io/v1", "EndpointSlice") => EndpointSliceParser.Parse(map, ns, name),
                ("networking.istio.io/v1" or "networking.istio.io/v1beta1" or "networking.istio.io/v1alpha3", "VirtualService") =>
                    VirtualServiceParser.ParseSpec(map, ns, name),
                ("networking.istio.io/v1" or "networking.istio.io/v1beta1" or "networking.istio.io/v1alpha3", "DestinationRule") =>
                    DestinationRuleParser.Parse(map, ns, name),
                ("networking.istio.io/v1" or "networking.istio.io/v1beta1" or "networking.istio.io/v1alpha3", "Gateway") =>
                    GatewayParser.Parse(map, ns, name),
                ("networking.istio.io/v1" or "networking.istio.io/v1beta1" or "networking.istio.io/v1alpha3", "ServiceEntry") =>
                    ServiceEntryParser.Parse(map, ns, name),
                ("networking.istio.io/v1" or "networking.istio.io/v1beta1" or "networking.istio.io/v1alpha3", "Sidecar") => SidecarParser.Parse(map, ns, name),
                ("networking.istio.io/v1alpha3", "EnvoyFilter") => EnvoyFilterParser.Parse(map, ns, name),
                ("security.istio.io/v1" or "security.istio.io/v1beta1", "PeerAuthentication") => PeerAuthenticationParser.Parse(map, ns, name),
                ("security.istio.io/v1" or "security.istio.io/v1beta1", "AuthorizationPolicy") => AuthorizationPolicyParser.Parse(map, ns, name),
                (_, "PeerAuthentication" or "AuthorizationPolicy") => throw new InvalidFieldException("apiVersion", $"{apiVersion} is not a version of {kind} the mesh reads"),
                ("v1", "Pod") => CoreObjectParser.Pod(map, ns, name),
                ("v1", "Secret") => SecretParser.Parse(map, ns, name),
                ("v1", "Namespace") => CoreObjectParser.Namespace(map, name),
                ("v1", "Node") => CoreObjectParser.Node(map, name),
                (_, "Service" or "EndpointSlice" or "VirtualService" or "DestinationRule") =>
                    throw new InvalidFieldException("apiVersion", $"{apiVersion} is not a version of {kind} the mesh reads"),
                (_, "EnvoyFilter") => throw new InvalidFieldException("apiVersion", $"{apiVersion} is not a version of EnvoyFilter the mesh reads (Istio serves it as networking.istio.io/v1alpha3 only)"),
                (_, "Gateway" or "ServiceEntry") =>
                    throw new InvalidFieldException("apiVersion", $"{apiVersion} is not a version of {kind} the mesh reads"),
                (_, "Sidecar") => throw new InvalidFieldException("apiVersion", $"{apiVersion} is not a version of {kind} the mesh reads"),
                ("networking.istio.io/v1" or "networking.istio.io/v1beta1" or "networking.istio.io/v1alpha3", _) =>
                    new IgnoredObject($"Istio {kind} is not supported yet"),
                ("security.istio.io/v1" or "security.istio.io/v1beta1", _) => new IgnoredObject($"Istio {kind} is not supported yet"),

                // Deployments, ConfigMaps, ServiceAccounts...: operators' YAML is full of them. Counted, not rejected.
                _ => new IgnoredObject(string.Empty) { Quiet = true },
            };
            return new ParsedDocument(key, value, null);
        }
        catch (InvalidFieldException invalid)
        {
            return Reject(source, key, invalid.Field, invalid.Reason, locator);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // A validator bug must cost this one object, never the file or the source.
            return Reject(source, key, string.Empty, $"{ValidatorFailure}: {exception.GetType().Name}: {exception.Message}", locator);
        }
    }


    private static ParsedDocument Reject(string source, ObjectKey? key, string field, string reason, string locator) =>
        new(key, null, new RejectedObject(
            source,
            key?.Kind ?? string.Empty,
            key?.Namespace ?? string.Empty,
            key?.Name ?? locator,
            field,
            reason,
            KeptLastGood: false));

    /// <summary>
    /// Walks the event stream (iteratively, so hostile nesting cannot overflow the stack)
    /// and refuses a file nested deeper than <see cref="MaxDepth"/>, or with a mapping key
    /// that is not a plain scalar. Kubernetes objects only have string keys, and YamlDotNet
    /// hashes and compares a collection key (or an alias standing for one) node by node,
    /// following aliases: an alias bomb used as a key costs time exponential in its size
    /// (found by fuzzing: twelve lines kept the parser busy for minutes).
    /// </summary>
    private static string? CheckStructure(string text)
    {
        try
        {
            var parser = new Parser(new StringReader(text));

            // For each open collection: whether it is a mapping, and whether its next node is a key.
            var open = new Stack<(bool Mapping, bool ExpectKey)>();

            // Kept until the end, so that a file that is not YAML at all is reported as such.
            string? keyError = null;
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                if (keyError is null && current is MappingStart or SequenceStart or AnchorAlias
                    && open.TryPeek(out var parent) && parent is { Mapping: true, ExpectKey: true })
                {
                    keyError = $"a mapping key at line {current.Start.Line}, column {current.Start.Column} is {KeyKind(current)}; Kubernetes objects only have string keys";
                }

                switch (current)
                {
                    case MappingStart or SequenceStart:
                        if (open.Count >= MaxDepth)
                        {
                            return $"nested deeper than {MaxDepth} levels at line {current.Start.Line}";
                        }

                        open.Push((current is MappingStart, true));
                        break;
                    case MappingEnd or SequenceEnd:
                        open.Pop();
                        NodeDone(open);
                        break;
                    case Scalar or AnchorAlias:
                        NodeDone(open);
                        break;
                }
            }

            return keyError;
        }
        catch (Exception exception) when (IsParserFailure(exception))
        {
            return NotYaml(exception);
        }

        static void NodeDone(Stack<(bool Mapping, bool ExpectKey)> open)
        {
            if (open.TryPop(out var parent))
            {
                open.Push(parent.Mapping ? (true, !parent.ExpectKey) : parent);
            }
        }

        static string KeyKind(ParsingEvent key) => key switch
        {
            MappingStart => "a mapping",
            SequenceStart => "a sequence",
            _ => "an alias",
        };
    }

    /// <summary>
    /// YamlDotNet reports most bad input as <see cref="YamlException"/>, but some (an unclosed
    /// flow collection followed by stray indicators, found by fuzzing) surface as
    /// <see cref="InvalidOperationException"/>, <see cref="ArgumentException"/> or worse from
    /// deep inside its scanner. Whatever it throws, the file is not YAML the mesh can read.
    /// Only a failure of the runtime itself is left to propagate.
    /// </summary>
    private static bool IsParserFailure(Exception exception) =>
        exception is not (OutOfMemoryException or InsufficientExecutionStackException or StackOverflowException);

    private static string NotYaml(Exception exception)
    {
        var inner = exception.InnerException ?? exception;
        return exception is YamlException yaml
            ? $"not valid YAML at line {yaml.Start.Line}, column {yaml.Start.Column}: {inner.Message}"
            : $"not valid YAML: {inner.Message}";
    }
}
