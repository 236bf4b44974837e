using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Platform;

public enum Severity { Debug, Info, Warning, Error, Critical }

/// <summary>A platform-level event for the command center (unroutable webhook, channel token expired, tenant created…).</summary>
public sealed class SystemEvent
{
    private SystemEvent() { }

    public Guid Id { get; private set; }
    public Guid? TenantId { get; private set; }
    public Severity Severity { get; private set; }
    public string Source { get; private set; } = "";
    /// <summary>The English wording (logs, API); screens show <see cref="MessageKey"/> in the reader's language.</summary>
    public string Message { get; private set; } = "";
    public string? MessageKey { get; private set; }
    public string[] MessageArgs { get; private set; } = [];
    public string? Details { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static SystemEvent Create(Severity severity, string source, TextRef message, Guid? tenantId, string? details,
        DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        TenantId = tenantId,
        Severity = severity,
        Source = source,
        Message = message.English,
        MessageKey = message.Key,
        MessageArgs = message.Args,
        Details = details,
        CreatedAt = now,
    };
}

/// <summary>Who did what to which record. Written for workspace changes and every entry into the platform context.</summary>
public sealed class AuditEntry
{
    private AuditEntry() { }

    public Guid Id { get; private set; }
    public Guid? TenantId { get; private set; }
    public Guid? ActorUserId { get; private set; }
    public string Actor { get; private set; } = "";
    public string Action { get; private set; } = "";
    public string? EntityType { get; private set; }
    public string? EntityId { get; private set; }
    public string? Details { get; private set; }

    /// <summary>The changed thing as JSON before and after a configuration change (null when created or removed).</summary>
    public string? Before { get; private set; }
    public string? After { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static AuditEntry Create(Guid? tenantId, Guid? actorUserId, string actor, string action, string? entityType,
        string? entityId, string? details, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        TenantId = tenantId,
        ActorUserId = actorUserId,
        Actor = actor,
        Action = action,
        EntityType = entityType,
        EntityId = entityId,
        Details = details,
        CreatedAt = now,
    };

    /// <summary>A configuration change with its before → after snapshots (JSON), for the workspace's audit log.</summary>
    public static AuditEntry Change(Guid tenantId, Guid? actorUserId, string actor, string action, string entityType, string entityId,
        string? before, string? after, DateTimeOffset now, string? details = null)
    {
        var entry = Create(tenantId, actorUserId, actor, action, entityType, entityId, details, now);
        entry.Before = before;
        entry.After = after;
        return entry;
    }
}

/// <summary>A tenant API key. Only a SHA-256 hash of the secret is stored; the key is shown once.</summary>
/// <summary>What an API key may do: <c>read</c> (GET), <c>write</c> (other methods), <c>admin</c> (API keys, channels, agent/tool/knowledge configuration).</summary>
public static class ApiKeyScopes
{
    public const string Read = "read";
    public const string Write = "write";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Read, Write, Admin];

    /// <summary>A key created without scopes works the inbox and contacts but cannot change the workspace's setup.</summary>
    public static readonly IReadOnlyList<string> Default = [Read, Write];
}

public sealed class ApiKey : Common.ITenantOwned
{
    private ApiKey() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string Name { get; private set; } = "";

    /// <summary>The first characters of the key, to recognise it in lists.</summary>
    public string Prefix { get; private set; } = "";
    public string Hash { get; private set; } = "";

    /// <summary>Subset of <see cref="ApiKeyScopes.All"/>, in that order.</summary>
    public string[] Scopes { get; private set; } = [];
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? LastUsedAt { get; private set; }
    public DateTimeOffset? ExpiresAt { get; private set; }
    public DateTimeOffset? RevokedAt { get; private set; }

    public static ApiKey Create(Guid tenantId, string name, string prefix, string hash, DateTimeOffset now,
        IEnumerable<string>? scopes = null, DateTimeOffset? expiresAt = null)
    {
        var wanted = (scopes ?? ApiKeyScopes.Default).Select(s => s.Trim().ToLowerInvariant()).ToHashSet();
        if (wanted.Count == 0) throw new Common.DomainException("api_key.scopes", "An API key needs at least one scope: read, write or admin.");
        if (wanted.FirstOrDefault(s => !ApiKeyScopes.All.Contains(s)) is { } unknown)
            throw new Common.DomainException("api_key.scope_unknown", $"Unknown scope '{unknown}'. Use read, write or admin.", unknown);
        if (expiresAt is { } expiry && expiry <= now)
            throw new Common.DomainException("api_key.expiry", "The expiry date must be in the future.");
        return new()
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Name = string.IsNullOrWhiteSpace(name) ? "API key" : name.Trim(),
            Prefix = prefix,
            Hash = hash,
            Scopes = ApiKeyScopes.All.Where(wanted.Contains).ToArray(),
            CreatedAt = now,
            ExpiresAt = expiresAt,
        };
    }

    public bool IsActive => RevokedAt is null;

    /// <summary>Not revoked and not past its expiry: the only keys authentication accepts.</summary>
    public bool IsUsableAt(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);

    public bool HasScope(string scope) => Scopes.Contains(scope);

    public void Revoke(DateTimeOffset now) => RevokedAt ??= now;

    public void Used(DateTimeOffset now) => LastUsedAt = now;
}

public enum EmailStatus { Sent, Stored, Failed }

/// <summary>
/// Every e-mail the platform produces. With no SMTP server configured it is kept here (Stored) and shown to super
/// admins, so a password-reset link is never silently dropped.
/// </summary>
public sealed class OutboundEmail
{
    private OutboundEmail() { }

    public Guid Id { get; private set; }
    public string To { get; private set; } = "";
    public string Subject { get; private set; } = "";
    public string HtmlBody { get; private set; } = "";
    public EmailStatus Status { get; private set; }
    public string? Error { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static OutboundEmail Create(string to, string subject, string htmlBody, EmailStatus status, string? error,
        DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        To = to,
        Subject = subject,
        HtmlBody = htmlBody,
        Status = status,
        Error = error,
        CreatedAt = now,
    };
}
