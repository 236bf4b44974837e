using System.Globalization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Media;

namespace OperatorConsole.Infrastructure.Inbox;

/// <summary>
/// Links to files an agent attaches, for the channel to fetch (Meta downloads a media "link" itself, without our
/// cookies). The token is the tenant, the file's key, its content type (decided from the bytes) and an expiry,
/// encrypted and authenticated by Data Protection: unguessable, naming exactly one file of one tenant, and dead after
/// Media:OutboundLinkLifetime (1 h by default; Meta fetches within minutes), judged by the app's clock.
/// </summary>
public sealed class OutboundMediaLinks(IDataProtectionProvider protection, TimeProvider clock, IOptionsMonitor<MediaOptions> options)
{
    // A new purpose: week-long tokens of the earlier format (no expiry inside) stop working.
    private readonly IDataProtector _protector = protection.CreateProtector("Console.OutboundMedia.v2");

    public string Token(Guid tenantId, Guid key, string contentType)
    {
        var expires = clock.GetUtcNow().Add(options.CurrentValue.OutboundLinkLifetime).ToUnixTimeSeconds();
        return _protector.Protect($"{tenantId:N}|{key:N}|{expires.ToString(CultureInfo.InvariantCulture)}|{contentType}");
    }

    public (Guid TenantId, Guid Key, string ContentType)? Read(string token)
    {
        try
        {
            var parts = _protector.Unprotect(token).Split('|', 4);
            return parts.Length == 4 && Guid.TryParseExact(parts[0], "N", out var tenant) && Guid.TryParseExact(parts[1], "N", out var key)
                   && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
                   && clock.GetUtcNow().ToUnixTimeSeconds() < expires
                ? (tenant, key, parts[3])
                : null;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null; // tampered, or from another installation's keys
        }
    }
}
