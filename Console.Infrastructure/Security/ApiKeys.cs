using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Security;

public sealed record IssuedApiKey(Guid Id, string Key, string Prefix);

public sealed record ApiKeyIdentity(Guid KeyId, Guid TenantId, string Name);

/// <summary>Tenant API keys: "csk_" + 32 random bytes; only the SHA-256 of the key is stored.</summary>
public sealed class ApiKeyService(ContextScopes scopes, TimeProvider clock)
{
    public const string KeyPrefix = "csk_";

    public static string HashOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public async Task<IssuedApiKey> IssueAsync(Guid tenantId, string? name, CancellationToken ct = default)
    {
        var key = KeyPrefix + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var prefix = key[..12];
        await using var work = scopes.ForTenant(tenantId);
        var apiKey = ApiKey.Create(tenantId, name ?? "API key", prefix, HashOf(key), clock.GetUtcNow());
        work.Db.ApiKeys.Add(apiKey);
        await work.Db.SaveChangesAsync(ct);
        return new IssuedApiKey(apiKey.Id, key, prefix);
    }

    /// <summary>Finds the tenant a key belongs to. Runs in the system scope: the tenant is not known before this lookup.</summary>
    public async Task<ApiKeyIdentity?> AuthenticateAsync(string key, CancellationToken ct = default)
    {
        if (!key.StartsWith(KeyPrefix, StringComparison.Ordinal) || key.Length > 100) return null;
        var hash = HashOf(key);
        await using var work = scopes.ForSystem("api-key authentication");
        var apiKey = await work.Db.ApiKeys.SingleOrDefaultAsync(k => k.Hash == hash, ct);
        if (apiKey is null || !apiKey.IsActive) return null;
        // Stamp usage at most once a minute to keep authentication read-mostly.
        var now = clock.GetUtcNow();
        if (apiKey.LastUsedAt is null || now - apiKey.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            apiKey.Used(now);
            await work.Db.SaveChangesAsync(ct);
        }
        return new ApiKeyIdentity(apiKey.Id, apiKey.TenantId, apiKey.Name);
    }

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
