using Microsoft.AspNetCore.DataProtection;

namespace OperatorConsole.Infrastructure.Inbox;

/// <summary>
/// Links to files an agent attaches, for the channel to fetch (Meta downloads a media "link" itself, without our
/// cookies). The token is the tenant, the file's key and its content type, encrypted and time-limited by Data
/// Protection, so a link names exactly one file of one tenant and stops working after a week.
/// </summary>
public sealed class OutboundMediaLinks(IDataProtectionProvider protection)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    private readonly ITimeLimitedDataProtector _protector = protection.CreateProtector("Console.OutboundMedia").ToTimeLimitedDataProtector();

    public string Token(Guid tenantId, Guid key, string contentType) => _protector.Protect($"{tenantId:N}|{key:N}|{contentType}", Lifetime);

    public (Guid TenantId, Guid Key, string ContentType)? Read(string token)
    {
        try
        {
            var parts = _protector.Unprotect(token).Split('|', 3);
            return parts.Length == 3 && Guid.TryParseExact(parts[0], "N", out var tenant) && Guid.TryParseExact(parts[1], "N", out var key)
                ? (tenant, key, parts[2])
                : null;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null; // tampered, expired or from another installation's keys
        }
    }
}
