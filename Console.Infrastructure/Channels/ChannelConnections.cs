using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.Infrastructure.Channels;

/// <summary>Who changes a channel, for the audit log.</summary>
public sealed record ChannelActor(Guid? UserId, string Name);

public sealed record ConnectChannel(ChannelKind Kind, string ExternalId, string? AccountId, string? DisplayName, string AccessToken,
    string? AppSecret, string? VerifyToken);

/// <summary>One channel as the command center lists it, across tenants.</summary>
public sealed record PlatformChannel(Guid Id, Guid TenantId, string TenantName, ChannelKind Kind, string ExternalId, string DisplayName,
    ChannelStatus Status, DateTimeOffset CreatedAt);

/// <summary>Connects channels for a tenant; credentials are encrypted before they reach the entity.</summary>
public sealed class ChannelConnections(ContextScopes scopes, SecretProtector protector, ChannelOwnershipProof ownership,
    Inbound.InboxSignal signal, TimeProvider clock)
{
    /// <summary>
    /// The connect path for tenants (API, console): the token must read the account from its provider before the channel
    /// is saved, and deliveries already waiting for the account are released only after that proof.
    /// </summary>
    /// <exception cref="ChannelOwnershipException">The provider refused the token for this id (its reason is the message).</exception>
    public async Task<Channel> ConnectAsync(Guid tenantId, ConnectChannel request, string actor, CancellationToken ct = default)
    {
        var channel = NewChannel(tenantId, request); // validates the id before anything is sent to a provider
        var proof = await ownership.ProveAsync(channel.Kind, channel.ExternalId, request.AccessToken, ct);
        // The provider's own name for the account (the verified number, the page's name) unless the owner typed one.
        if (string.IsNullOrWhiteSpace(request.DisplayName) && proof.ProviderName is { } name) channel.Rename(name);
        return await SaveAsync(channel, actor, proof.Evidence == OwnershipEvidence.Proven ? "ownership proven" : "ownership NOT checked (loopback)", ct);
    }

    /// <summary>
    /// A new token (and optionally app secret) for a channel: proven against the provider before it replaces the old one,
    /// so a mistyped token never breaks a working channel. A channel in error (expired token) is healthy again.
    /// </summary>
    /// <exception cref="ChannelOwnershipException">The provider refused the new token; the old one stays.</exception>
    public async Task<Channel> RotateTokenAsync(Guid tenantId, Guid channelId, string accessToken, string? appSecret, ChannelActor actor,
        CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(accessToken)) throw new DomainException("channel.accessToken", "An access token is required.");
        await using var work = scopes.ForTenant(tenantId);
        var channel = await FindAsync(work.Db, channelId, ct);
        if (channel.Status == ChannelStatus.Disconnected)
            throw new DomainException("channel.disconnected", "This channel is disconnected: connect it again instead.");
        await ownership.ProveAsync(channel.Kind, channel.ExternalId, accessToken.Trim(), ct);
        var before = channel.Status;
        var secrets = protector.Protect(accessToken.Trim(), string.IsNullOrWhiteSpace(appSecret) ? null : appSecret.Trim(), null);
        channel.ReplaceCredentials(secrets);
        Audit(work.Db, channel, actor, "channel.rotate_token",
            $"access token{(string.IsNullOrWhiteSpace(appSecret) ? "" : " and app secret")} replaced (proven); status {before} → {channel.Status}");
        await work.Db.SaveChangesAsync(ct);
        return channel;
    }

    public Task<Channel> RenameAsync(Guid tenantId, Guid channelId, string displayName, ChannelActor actor, CancellationToken ct = default) =>
        ChangeAsync(tenantId, channelId, actor, "channel.rename", c =>
        {
            var before = c.DisplayName;
            c.Rename(displayName);
            return $"name \"{before}\" → \"{c.DisplayName}\"";
        }, ct);

    public Task<Channel> SetBotAsync(Guid tenantId, Guid channelId, bool enabled, ChannelActor actor, CancellationToken ct = default) =>
        ChangeAsync(tenantId, channelId, actor, "channel.bot", c =>
        {
            var before = c.BotEnabled;
            c.SetBotEnabled(enabled);
            return $"bot {(before ? "on" : "off")} → {(enabled ? "on" : "off")}";
        }, ct);

    /// <summary>Pauses a channel (nothing received or sent; webhooks wait as unroutable) or resumes it (those webhooks are processed).</summary>
    public async Task<Channel> SetEnabledAsync(Guid tenantId, Guid channelId, bool enabled, ChannelActor actor, CancellationToken ct = default)
    {
        if (enabled)
        {
            await using var work = scopes.ForTenant(tenantId);
            if (!(await FindAsync(work.Db, channelId, ct)).IsLive) await RequireChannelRoomAsync(work.Db, tenantId, ct);
        }
        var channel = await ChangeAsync(tenantId, channelId, actor, enabled ? "channel.enable" : "channel.disable", c =>
        {
            var before = c.Status;
            if (enabled) c.Enable();
            else c.Disable();
            return $"status {before} → {c.Status}";
        }, ct);
        if (enabled) await ReleaseUnroutableAsync(channel, ct);
        return channel;
    }

    /// <summary>
    /// Disconnects a channel for good: it stops receiving and sending, its conversations are kept read-only, and its
    /// account id is freed so it can be connected again (its later webhooks are unroutable like any unknown account's).
    /// </summary>
    public Task<Channel> DisconnectAsync(Guid tenantId, Guid channelId, ChannelActor actor, CancellationToken ct = default) =>
        ChangeAsync(tenantId, channelId, actor, "channel.disconnect", c =>
        {
            var before = c.Status;
            var formerId = c.Disconnect();
            return $"{c.Kind} {formerId}: status {before} → {c.Status}; conversations kept read-only";
        }, ct);

    /// <summary>The verify token Meta's webhook set-up asks for, for a tenant using its own Meta app (null when none is set).</summary>
    public async Task<string?> VerifyTokenAsync(Guid tenantId, Guid channelId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var channel = await FindAsync(work.Db, channelId, ct);
        return protector.Reveal(channel).VerifyToken;
    }

    private async Task<Channel> ChangeAsync(Guid tenantId, Guid channelId, ChannelActor actor, string action, Func<Channel, string> change,
        CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var channel = await FindAsync(work.Db, channelId, ct);
        var details = change(channel);
        Audit(work.Db, channel, actor, action, details);
        await work.Db.SaveChangesAsync(ct);
        return channel;
    }

    /// <summary>Live channels (active or in error) are bounded by the plan; disabled and disconnected ones do not count.</summary>
    private static async Task RequireChannelRoomAsync(AppDbContext db, Guid tenantId, CancellationToken ct) =>
        Billing.PlanGates.RequireRoom(await Billing.PlanGates.LimitsAsync(db, tenantId, ct), Billing.PlanLimitKind.Channels,
            await db.Channels.CountAsync(c => c.Status == ChannelStatus.Active || c.Status == ChannelStatus.Error, ct));

    private static async Task<Channel> FindAsync(AppDbContext db, Guid channelId, CancellationToken ct) =>
        await db.Channels.SingleOrDefaultAsync(c => c.Id == channelId, ct)
        ?? throw new DomainException("channel.not_found", "No such channel in this workspace.");

    private void Audit(AppDbContext db, Channel channel, ChannelActor actor, string action, string details) =>
        db.AuditEntries.Add(AuditEntry.Create(channel.TenantId, actor.UserId, actor.Name, action, nameof(Channel), channel.Id.ToString(),
            details, clock.GetUtcNow()));

    /// <summary>
    /// Saves a channel without asking its provider: only for the demo seed and tests, which create accounts that exist
    /// nowhere. Never reachable from a request.
    /// </summary>
    public Task<Channel> ConnectWithoutProofAsync(Guid tenantId, ConnectChannel request, string actor, CancellationToken ct = default) =>
        SaveAsync(NewChannel(tenantId, request), actor, "seeded without ownership proof", ct);

    /// <summary>
    /// A super admin resolves a disputed id: the channel that holds it is disconnected and its id freed (renamed to a
    /// tombstone), so the business that can prove ownership connects it. Its conversations stay with the tenant.
    /// Audited in the platform log and in the tenant's.
    /// </summary>
    public async Task ReleaseDisputedAsync(Guid channelId, Guid superAdminId, string actor, CancellationToken ct = default)
    {
        await using var work = await scopes.ForSuperAdminAsync(superAdminId, actor, $"release disputed channel {channelId}", ct);
        var channel = await work.Db.Channels.SingleAsync(c => c.Id == channelId, ct);
        var freedId = channel.ExternalId;
        channel.ReleaseDisputed(clock.GetUtcNow());
        work.Db.AuditEntries.Add(AuditEntry.Create(channel.TenantId, superAdminId, actor, "channel.release_disputed", nameof(Channel),
            channel.Id.ToString(), $"{channel.Kind} {freedId} released by the platform: ownership disputed", clock.GetUtcNow()));
        await work.Db.SaveChangesAsync(ct);
    }

    /// <summary>Every connected channel with its tenant, for the command center (audited platform read).</summary>
    public async Task<IReadOnlyList<PlatformChannel>> ListForPlatformAsync(Guid superAdminId, string actor, CancellationToken ct = default)
    {
        await using var work = await scopes.ForSuperAdminAsync(superAdminId, actor, "command center: channels", ct);
        return await (
            from c in work.Db.Channels.AsNoTracking()
            join t in work.Db.Tenants on c.TenantId equals t.Id
            where c.Status != ChannelStatus.Disconnected
            orderby c.ExternalId
            select new PlatformChannel(c.Id, t.Id, t.Name, c.Kind, c.ExternalId, c.DisplayName, c.Status, c.CreatedAt)).ToListAsync(ct);
    }

    private Channel NewChannel(Guid tenantId, ConnectChannel request) =>
        Channel.Connect(tenantId, request.Kind, request.ExternalId, request.AccountId, request.DisplayName,
            protector.Protect(request.AccessToken, request.AppSecret, request.VerifyToken), clock.GetUtcNow());

    private async Task<Channel> SaveAsync(Channel channel, string actor, string evidence, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(channel.TenantId);
        await RequireChannelRoomAsync(work.Db, channel.TenantId, ct);
        work.Db.Channels.Add(channel);
        work.Db.AuditEntries.Add(AuditEntry.Create(channel.TenantId, null, actor, "channel.connect", nameof(Channel), channel.Id.ToString(),
            $"{channel.Kind} {channel.ExternalId} ({evidence})", clock.GetUtcNow()));
        try
        {
            await work.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            throw new ConflictException("channel.taken",
                $"This {channel.Kind} account ({channel.ExternalId}) is already connected to a workspace.", channel.Kind, channel.ExternalId);
        }
        await ReleaseUnroutableAsync(channel, ct);
        return channel;
    }

    /// <summary>
    /// Deliveries that arrived for this account before anyone connected it are processed now. Only those that came in
    /// on the platform endpoint or on this tenant's own endpoint: another tenant's endpoint cannot pre-load messages
    /// into the rightful owner's inbox.
    /// </summary>
    private async Task ReleaseUnroutableAsync(Channel channel, CancellationToken ct)
    {
        await using var work = scopes.ForSystem("release unroutable webhooks");
        var source = Inbound.InboundParsers.SourceOf(channel.Kind);
        var released = await work.Db.Database.ExecuteSqlAsync(SqlText.With(ReleaseUnroutableSql, source, channel.ExternalId, channel.TenantId), ct);
        if (released > 0) signal.Notify();
    }

    // {0} source, {1} the channel's external id, {2} its tenant.
    private const string ReleaseUnroutableSql = $$"""
        UPDATE webhook_deliveries SET state = '{{nameof(DeliveryState.Pending)}}', attempts = 0, next_attempt_at = now()
        WHERE state = '{{nameof(DeliveryState.Unroutable)}}' AND source = {0} AND {1} = ANY (unroutable_ids)
          AND (route_tenant_id IS NULL OR route_tenant_id = {2})
        """;

    public static string WebhookPath(ChannelKind kind, string tenantSlug) => $"/webhooks/{kind.ToString().ToLowerInvariant()}/{tenantSlug}";
}
