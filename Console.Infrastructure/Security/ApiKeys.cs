using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Security;

public sealed record IssuedApiKey(Guid Id, string Key, string Prefix);

public sealed record ApiKeyIdentity(Guid KeyId, Guid TenantId, string Name, IReadOnlyList<string> Scopes);

/// <summary>An API key as lists show it: never the key, never its hash.</summary>
public sealed record ApiKeyRow(Guid Id, string Name, string Prefix, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);

/// <summary>Who issues or revokes a key, for the audit trail: a member (user id) or another key / the platform key.</summary>
public sealed record ApiKeyActor(string Name, Guid? UserId = null);

/// <summary>
/// Tenant API keys: "csk_" + 32 random bytes; only the SHA-256 of the key is stored. Every request looks the key up
/// again (no cache), so a revoked or expired key is refused on its very next call.
/// </summary>
public sealed class ApiKeyService(ContextScopes scopes, TimeProvider clock)
{
    public const string KeyPrefix = "csk_";

    public static string HashOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public Task<IssuedApiKey> IssueAsync(Guid tenantId, string? name, CancellationToken ct = default) =>
        IssueAsync(tenantId, name, null, null, new ApiKeyActor("system"), ct);

    /// <summary>Issues a key (scopes default to read+write) and audits it in the same transaction.</summary>
    public async Task<IssuedApiKey> IssueAsync(Guid tenantId, string? name, IEnumerable<string>? keyScopes, DateTimeOffset? expiresAt,
        ApiKeyActor actor, CancellationToken ct = default)
    {
        var key = KeyPrefix + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var prefix = key[..12];
        var now = clock.GetUtcNow();
        var apiKey = ApiKey.Create(tenantId, name ?? "API key", prefix, HashOf(key), now, keyScopes, expiresAt);
        await using var work = scopes.ForTenant(tenantId);
        work.Db.ApiKeys.Add(apiKey);
        work.Db.AuditEntries.Add(AuditEntry.Create(tenantId, actor.UserId, actor.Name, "api_key.issue", nameof(ApiKey), apiKey.Id.ToString(),
            $"{apiKey.Name} ({apiKey.Prefix}…) scopes {string.Join(",", apiKey.Scopes)}" +
            (apiKey.ExpiresAt is { } e ? $", expires {e:O}" : ""), now));
        await work.Db.SaveChangesAsync(ct);
        return new IssuedApiKey(apiKey.Id, key, prefix);
    }

    public async Task<IReadOnlyList<ApiKeyRow>> ListAsync(Guid tenantId, bool includeRevoked = false, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var keys = work.Db.ApiKeys.AsNoTracking();
        if (!includeRevoked) keys = keys.Where(k => k.RevokedAt == null);
        return await keys.OrderByDescending(k => k.CreatedAt)
            .Select(k => new ApiKeyRow(k.Id, k.Name, k.Prefix, k.Scopes, k.CreatedAt, k.LastUsedAt, k.ExpiresAt, k.RevokedAt))
            .ToListAsync(ct);
    }

    /// <summary>Revokes a key of the tenant; false when there is no such key (another tenant's id included).</summary>
    public async Task<bool> RevokeAsync(Guid tenantId, Guid keyId, ApiKeyActor actor, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var apiKey = await work.Db.ApiKeys.SingleOrDefaultAsync(k => k.Id == keyId, ct);
        if (apiKey is null) return false;
        if (apiKey.RevokedAt is not null) return true;
        var now = clock.GetUtcNow();
        apiKey.Revoke(now);
        work.Db.AuditEntries.Add(AuditEntry.Create(tenantId, actor.UserId, actor.Name, "api_key.revoke", nameof(ApiKey), apiKey.Id.ToString(),
            $"{apiKey.Name} ({apiKey.Prefix}…)", now));
        await work.Db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Finds the tenant a key belongs to. Runs in the system scope: the tenant is not known before this lookup.</summary>
    public async Task<ApiKeyIdentity?> AuthenticateAsync(string key, CancellationToken ct = default)
    {
        if (!key.StartsWith(KeyPrefix, StringComparison.Ordinal) || key.Length > 100) return null;
        var hash = HashOf(key);
        await using var work = scopes.ForSystem("api-key authentication");
        var apiKey = await work.Db.ApiKeys.SingleOrDefaultAsync(k => k.Hash == hash, ct);
        var now = clock.GetUtcNow();
        if (apiKey is null || !apiKey.IsUsableAt(now)) return null;
        // Stamp usage at most once a minute to keep authentication read-mostly.
        if (apiKey.LastUsedAt is null || now - apiKey.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            apiKey.Used(now);
            await work.Db.SaveChangesAsync(ct);
        }
        return new ApiKeyIdentity(apiKey.Id, apiKey.TenantId, apiKey.Name, apiKey.Scopes);
    }

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
