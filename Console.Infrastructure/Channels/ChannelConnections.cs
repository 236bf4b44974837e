using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.Infrastructure.Channels;

public sealed record ConnectChannel(ChannelKind Kind, string ExternalId, string? AccountId, string? DisplayName, string AccessToken,
    string? AppSecret, string? VerifyToken);

/// <summary>Connects channels for a tenant; credentials are encrypted before they reach the entity.</summary>
public sealed class ChannelConnections(ContextScopes scopes, SecretProtector protector, Inbound.InboxSignal signal, TimeProvider clock)
{
    public async Task<Channel> ConnectAsync(Guid tenantId, ConnectChannel request, string actor, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        var channel = Channel.Connect(tenantId, request.Kind, request.ExternalId, request.AccountId, request.DisplayName,
            protector.Protect(request.AccessToken, request.AppSecret, request.VerifyToken), now);
        await using var work = scopes.ForTenant(tenantId);
        work.Db.Channels.Add(channel);
        work.Db.AuditEntries.Add(AuditEntry.Create(tenantId, null, actor, "channel.connect", nameof(Channel), channel.Id.ToString(),
            $"{channel.Kind} {channel.ExternalId}", now));
        try
        {
            await work.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            throw new ConflictException("channel.taken",
                $"This {request.Kind} account ({channel.ExternalId}) is already connected to a workspace.");
        }
        await ReleaseUnroutableAsync(channel, ct);
        return channel;
    }

    /// <summary>Deliveries that arrived for this account before anyone connected it are processed now.</summary>
    private async Task ReleaseUnroutableAsync(Channel channel, CancellationToken ct)
    {
        await using var work = scopes.ForSystem("release unroutable webhooks");
        var source = Inbound.InboundParsers.SourceOf(channel.Kind);
        var released = await work.Db.Database.ExecuteSqlAsync($"""
            UPDATE webhook_deliveries SET state = 'Pending', attempts = 0, next_attempt_at = now()
            WHERE state = 'Unroutable' AND source = {source} AND {channel.ExternalId} = ANY (unroutable_ids)
            """, ct);
        if (released > 0) signal.Notify();
    }

    public static string WebhookPath(ChannelKind kind, string tenantSlug) => $"/webhooks/{kind.ToString().ToLowerInvariant()}/{tenantSlug}";
}
