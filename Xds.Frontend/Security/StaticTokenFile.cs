using System.Security.Cryptography;
using System.Text;
using Mesh.Orleans.Grains.Interfaces.Security;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Xds.Frontend.Security;

/// <summary>
/// Bearer tokens from a static file (<c>--token-file</c>), for a mesh read from a YAML directory,
/// where there is no Kubernetes API to review tokens: one <c>TOKEN NAMESPACE SERVICEACCOUNT</c> per
/// line, blank lines and <c>#</c> comments ignored. Only each token's SHA-256 is kept in memory.
/// The file is read again when it changes (looked at once a second at most); a version that does
/// not parse is refused with its line and the previous one kept.
/// </summary>
public sealed partial class StaticTokenFile : ITokenReviewer
{
    private static readonly TimeSpan s_recheck = TimeSpan.FromSeconds(1);

    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly Lock _lock = new();
    private Dictionary<string, (string Namespace, string ServiceAccount)> _tokens;
    private DateTime _written;
    private DateTimeOffset _checked;

    /// <summary>Reads <paramref name="path"/>; throws <see cref="FormatException"/> naming the line that does not parse.</summary>
    public StaticTokenFile(string path, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        _path = path;
        _time = time ?? TimeProvider.System;
        _logger = logger;
        _written = File.GetLastWriteTimeUtc(path);
        _tokens = Parse(File.ReadAllLines(path));
        _checked = _time.GetUtcNow();
    }

    /// <summary>How many tokens the file holds.</summary>
    public int Count => _tokens.Count;

    /// <summary>The tokens of <paramref name="lines"/> by their SHA-256; throws <see cref="FormatException"/> naming the first line that does not parse (never its token).</summary>
    public static Dictionary<string, (string Namespace, string ServiceAccount)> Parse(IReadOnlyList<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var tokens = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 3)
            {
                throw new FormatException($"line {i + 1}: expected TOKEN NAMESPACE SERVICEACCOUNT, found {fields.Length} field(s)");
            }

            if (fields[0].Length < 16)
            {
                throw new FormatException($"line {i + 1}: the token is shorter than 16 characters");
            }

            if (!SpiffeId.TryParse($"{SpiffeId.Scheme}{SpiffeId.DefaultTrustDomain}/ns/{fields[1]}/sa/{fields[2]}", out _, out var problem))
            {
                throw new FormatException($"line {i + 1}: '{fields[1]}' / '{fields[2]}' is not a namespace and service account: {problem}");
            }

            if (!tokens.TryAdd(Hash(fields[0]), (fields[1], fields[2])))
            {
                throw new FormatException($"line {i + 1}: the token is given twice");
            }
        }

        return tokens;
    }

    /// <inheritdoc/>
    public Task<TokenReview> ReviewAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        var tokens = Current();
        return Task.FromResult(tokens.TryGetValue(Hash(token), out var account)
            ? TokenReview.Accepted(account.Namespace, account.ServiceAccount)
            : TokenReview.Refusal("the bearer token is not in the token file"));
    }

    /// <summary>The tokens, read again when the file changed since the last look.</summary>
    private Dictionary<string, (string Namespace, string ServiceAccount)> Current()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (now - _checked < s_recheck)
            {
                return _tokens;
            }

            _checked = now;
            try
            {
                var written = File.GetLastWriteTimeUtc(_path);
                if (written != _written)
                {
                    _tokens = Parse(File.ReadAllLines(_path));
                    _written = written;
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
            {
                // Keep the tokens the file last gave; a version that does not parse is tried again once it changes again.
                if (_logger is not null)
                {
                    LogUnreadable(_logger, _path, exception.Message);
                }

                _written = File.Exists(_path) ? File.GetLastWriteTimeUtc(_path) : _written;
            }

            return _tokens;
        }
    }

    private static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    [LoggerMessage(EventId = 440, Level = LogLevel.Warning, Message = "The token file {Path} changed and cannot be used ({Reason}); its previous tokens stay in force")]
    private static partial void LogUnreadable(ILogger logger, string path, string reason);
}
