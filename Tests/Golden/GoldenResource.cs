using System.Text.Json.Nodes;

namespace Mesh.Orleans.Tests.Golden;

/// <summary>One resource a golden scenario expects: the file it is written in, its type, its name and its JSON.</summary>
public sealed record GoldenResource(string File, string TypeUrl, string Name, JsonNode Json);
