using System.Net;

namespace OperatorConsole.Infrastructure.Media;

/// <summary>
/// Where media in a delivery may be fetched from: the configured Graph origin (scheme, host and port exactly) or a
/// host under one of the media host suffixes. This is the host rule; the address rule (public addresses only) is
/// applied at connect time by <see cref="Security.GuardedNetwork"/>, so both hold on every redirect.
/// </summary>
public static class MediaSources
{
    public static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    /// <summary>True when <paramref name="host"/> is one of <paramref name="suffixes"/> or a name under one (dot boundary).</summary>
    public static bool UnderSuffix(string host, IEnumerable<string> suffixes)
    {
        host = host.TrimEnd('.').ToLowerInvariant();
        // An IP literal is never "under" a name, whatever its digits end with.
        if (IPAddress.TryParse(host.Trim('[', ']'), out _)) return false;
        foreach (var raw in suffixes)
        {
            var suffix = raw.Trim().TrimStart('.').TrimEnd('.').ToLowerInvariant();
            if (suffix.Length == 0) continue;
            if (host == suffix || host.EndsWith("." + suffix, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>Null when <paramref name="target"/> may be fetched, else why not.</summary>
    public static string? Refuse(Uri target, Uri graphBase, IEnumerable<string> suffixes)
    {
        if (SameOrigin(target, graphBase)) return null;
        if (target.Scheme != Uri.UriSchemeHttps && target.Scheme != Uri.UriSchemeHttp) return $"{target.Scheme} URLs are not allowed";
        return UnderSuffix(target.IdnHost, suffixes) ? null : $"{target.IdnHost} is not a media host of the channel";
    }
}
