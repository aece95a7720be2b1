using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Mesh.Orleans.Silo.Sources;

namespace Mesh.Orleans.Cli.Commands;

/// <summary>
/// <c>mesh analyze DIR [-o text|json]</c>: what a control plane given <c>--config DIR</c>
/// would make of the directory (<see cref="ConfigAnalysis"/>: the same walk, parsers and
/// duplicate rule, and the same dangling-reference warnings), offline. Errors are what it would
/// reject (an object, a file it cannot read, a folder it cannot list); warnings what it would
/// serve with a reference to something missing, or a link it would not follow. Exits 0 when
/// nothing is rejected (warnings allowed), 1 otherwise, 2 when DIR is no directory: a CI step
/// before <c>kubectl apply</c>.
/// </summary>
internal static class AnalyzeCommand
{
    /// <summary>The <c>analyze</c> command, printing to <paramref name="output"/>.</summary>
    public static Command Create(TextWriter output)
    {
        var directory = new Argument<string>("DIR") { Description = "The directory of Kubernetes and Istio YAML (every *.yaml and *.yml below it)" };
        var format = new Option<string>("--output", "-o") { Description = "text: one line per problem; json: one document", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("analyze", "Validates a YAML directory offline with the control plane's own validators") { directory, format };
        command.SetAction((parsed, _) => Task.FromResult(Run(parsed.GetValue(directory)!, parsed.GetValue(format) == "json", output)));
        return command;
    }

    private static int Run(string directory, bool json, TextWriter output)
    {
        if (!Directory.Exists(directory))
        {
            throw new CliException(
                File.Exists(directory) ? $"{directory} is a file; analyze takes a directory" : $"the directory {directory} does not exist",
                ExitCodes.Usage);
        }

        var analysis = ConfigAnalysis.Run(directory);
        if (!analysis.Listing.Available)
        {
            throw new CliException($"cannot list {directory}: {analysis.Listing.Error}");
        }

        var errors = Errors(directory, analysis);
        var warnings = Warnings(directory, analysis);
        if (json)
        {
            WriteJson(directory, analysis, errors, warnings, output);
        }
        else
        {
            foreach (var problem in errors)
            {
                output.WriteLine("error: " + problem);
            }

            foreach (var problem in warnings)
            {
                output.WriteLine("warning: " + problem);
            }

            output.WriteLine($"{Count(errors.Count, "error")}, {Count(warnings.Count, "warning")} in {Count(analysis.Files.Count, "file")} ({Count(analysis.Objects, "object")})");
        }

        return errors.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>Rejected objects and files, then what the walk could not see (which is not validated, so it fails the run too).</summary>
    private static List<Problem> Errors(string directory, ConfigAnalysis analysis)
    {
        var errors = analysis.Rejected
            .Select(r => new Problem(Path.Join(directory, r.Source), r.Kind, r.Namespace, r.Name, r.Field, r.Reason))
            .ToList();
        errors.AddRange(analysis.Listing.Unlisted.Select(u => new Problem(Path.Join(directory, u.Path), string.Empty, string.Empty, string.Empty, string.Empty, "could not be read: " + u.Reason)));
        if (analysis.Listing.Truncated is { } truncated)
        {
            errors.Add(new Problem(directory, string.Empty, string.Empty, string.Empty, string.Empty, "the walk stopped at a bound: " + truncated));
        }

        return errors;
    }

    private static List<Problem> Warnings(string directory, ConfigAnalysis analysis)
    {
        var warnings = analysis.Warnings
            .Select(w => new Problem(analysis.SourceOf(w.Kind, w.Namespace, w.Name) is { } source ? Path.Join(directory, source) : string.Empty, w.Kind, w.Namespace, w.Name, w.Field, w.Message))
            .OrderBy(w => w.File, StringComparer.Ordinal)
            .ToList();
        warnings.AddRange(analysis.Listing.SkippedLinks.Select(l => new Problem(Path.Join(directory, l.Link), string.Empty, string.Empty, string.Empty, string.Empty, "link not followed: " + l.Reason)));
        return warnings;
    }

    private static void WriteJson(string directory, ConfigAnalysis analysis, List<Problem> errors, List<Problem> warnings, TextWriter output)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("directory", directory);
            writer.WriteBoolean("valid", errors.Count == 0);
            writer.WriteNumber("files", analysis.Files.Count);
            writer.WriteNumber("objects", analysis.Objects);
            WriteProblems(writer, "errors", errors);
            WriteProblems(writer, "warnings", warnings);
            writer.WriteStartArray("ignored");
            foreach (var ignored in analysis.Report.Ignored)
            {
                WriteProblem(writer, new Problem(Path.Join(directory, ignored.Source), ignored.Kind, ignored.Namespace, ignored.Name, string.Empty, ignored.Reason));
            }

            writer.WriteEndArray();
            writer.WriteStartObject("objectsPerKind");
            foreach (var (kind, count) in analysis.Report.ObjectsPerKind)
            {
                writer.WriteNumber(kind, count);
            }

            writer.WriteEndObject();
            writer.WriteStartObject("skippedKinds");
            foreach (var (kind, count) in analysis.Report.SkippedKinds)
            {
                writer.WriteNumber(kind, count);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteProblems(Utf8JsonWriter writer, string name, List<Problem> problems)
    {
        writer.WriteStartArray(name);
        foreach (var problem in problems)
        {
            WriteProblem(writer, problem);
        }

        writer.WriteEndArray();
    }

    private static void WriteProblem(Utf8JsonWriter writer, Problem problem)
    {
        writer.WriteStartObject();
        writer.WriteString("file", problem.File);
        writer.WriteString("kind", problem.Kind);
        writer.WriteString("namespace", problem.Namespace);
        writer.WriteString("name", problem.Name);
        writer.WriteString("field", problem.Field);
        writer.WriteString("reason", problem.Reason);
        writer.WriteEndObject();
    }

    private static string Count(int count, string noun) => $"{count} {noun}{(count == 1 ? string.Empty : "s")}";
}
