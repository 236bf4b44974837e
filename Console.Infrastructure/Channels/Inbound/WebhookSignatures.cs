using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OperatorConsole.Infrastructure.Channels.Inbound;

/// <summary>
/// Webhook signature checks over the raw request bytes exactly as received (never a re-serialized body),
/// compared in constant time. Secrets come from options or the channel's encrypted credentials; never logged.
/// </summary>
public static class WebhookSignatures
{
    /// <summary>Meta: <c>X-Hub-Signature-256: sha256=&lt;hex HMAC-SHA256(app secret, body)&gt;</c>.</summary>
    public static bool IsValidMeta(ReadOnlySpan<byte> body, string? header, string? appSecret)
    {
        const string prefix = "sha256=";
        if (string.IsNullOrEmpty(appSecret) || header is null || !header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return false;
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body);
        return FixedTimeHexEquals(header.AsSpan(prefix.Length).Trim(), expected);
    }

    /// <summary>
    /// TikTok: <c>Tiktok-Signature: t=&lt;unix s&gt;,s=&lt;hex HMAC-SHA256(client secret, "{t}.{body}")&gt;</c>;
    /// a timestamp outside the tolerance is refused so a captured delivery cannot be replayed later.
    /// </summary>
    public static bool IsValidTikTok(ReadOnlySpan<byte> body, string? header, string? clientSecret, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrEmpty(clientSecret) || string.IsNullOrEmpty(header)) return false;
        string? t = null, s = null;
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal)) t = part[2..];
            else if (part.StartsWith("s=", StringComparison.Ordinal)) s = part[2..];
        }
        if (t is null || s is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var unix)) return false;
        if (Math.Abs(now.ToUnixTimeSeconds() - unix) > tolerance.TotalSeconds) return false;
        var prefix = Encoding.UTF8.GetBytes(t + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return FixedTimeHexEquals(s, HMACSHA256.HashData(Encoding.UTF8.GetBytes(clientSecret), signed));
    }

    /// <summary>Builds a Meta signature header (the customer simulator and tests sign their deliveries with it).</summary>
    public static string SignMeta(ReadOnlySpan<byte> body, string appSecret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body));

    public static string SignTikTok(ReadOnlySpan<byte> body, string clientSecret, DateTimeOffset at)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signed = Encoding.UTF8.GetBytes(t + ".").Concat(body.ToArray()).ToArray();
        return $"t={t},s={Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(clientSecret), signed))}";
    }

    private static bool FixedTimeHexEquals(ReadOnlySpan<char> hex, byte[] expected)
    {
        if (hex.Length != expected.Length * 2) return false;
        Span<byte> given = stackalloc byte[expected.Length];
        if (Convert.FromHexString(hex, given, out _, out var written) != System.Buffers.OperationStatus.Done || written != expected.Length)
            return false;
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }
}
