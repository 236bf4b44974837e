using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Channels.Outbound;

/// <summary>
/// Sends queued messages. A worker claims the oldest due message of a conversation with FOR UPDATE SKIP LOCKED, first
/// commits a lease (the message is not due again for <see cref="OutboundOptions.ReconcileSeconds"/>), then locks the
/// row again and keeps it locked while it calls the channel, so two workers (or nodes) never send the same message and
/// a conversation's messages leave in order. The outcome is written in that second transaction.
/// <para>
/// If the process dies between the channel's 200 and that commit, the message may be out without our knowing its
/// id. The committed lease keeps it from being sent again at once: every send carries our message id (WhatsApp
/// <c>biz_opaque_callback_data</c>, Messenger/Instagram <c>metadata</c>), and the status or echo that names it marks it
/// sent with the channel's id (<see cref="Inbound.WebhookProcessor"/>). Only if none arrives before the lease ends is
/// it sent again. TikTok's send has no field the echo repeats, so there the window only delays the re-send.
/// </para>
/// </summary>
public sealed class OutboundDispatcher(
    ContextScopes scopes,
    IEnumerable<IChannelSender> senders,
    SecretProtector protector,
    IOptionsMonitor<OutboundOptions> options,
    SystemEventWriter systemEvents,
    TimeProvider clock,
    Telemetry.ConsoleTelemetry telemetry,
    ILogger<OutboundDispatcher> log)
{
    // {0} now. The oldest queued send of each conversation, so a conversation's messages leave in order; the enum values
    // are literals (named from the enums) because the queued partial index names them.
    private const string ClaimOldestQueuedSql = $$"""
        SELECT m.*, m.xmin FROM messages m
        WHERE m.direction = '{{nameof(MessageDirection.Outbound)}}' AND m.status = '{{nameof(DeliveryStatus.Queued)}}' AND m.external_id IS NULL
          AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= {0})
          AND NOT EXISTS (SELECT 1 FROM messages p WHERE p.conversation_id = m.conversation_id AND p.direction = '{{nameof(MessageDirection.Outbound)}}'
                          AND p.status = '{{nameof(DeliveryStatus.Queued)}}' AND p.external_id IS NULL AND p.created_at < m.created_at)
        ORDER BY m.created_at LIMIT 1 FOR UPDATE SKIP LOCKED
        """;

    // {0} the message, {1} the lease this worker committed: only its holder sends (a status may have settled it meanwhile).
    private const string ClaimLeasedSql = $$"""
        SELECT m.*, m.xmin FROM messages m
        WHERE m.id = {0} AND m.status = '{{nameof(DeliveryStatus.Queued)}}' AND m.external_id IS NULL AND m.next_attempt_at = {1}
        FOR UPDATE SKIP LOCKED
        """;

    public async Task<bool> DispatchNextAsync(CancellationToken ct)
    {
        var notices = new List<(Severity, TextRef, Guid?)>();
        await using (var work = scopes.ForSystem("outbound dispatch"))
        {
            var db = work.Db;
            var now = clock.GetUtcNow();
            var lease = now.AddSeconds(options.CurrentValue.ReconcileSeconds);
            lease = lease.AddTicks(-(lease.Ticks % 10)); // microseconds, as PostgreSQL keeps it: the second claim compares it
            Guid? id = null;
            var called = false;
            try
            {
                // First transaction: take the message and commit the lease before anything leaves, so a crash mid-send
                // leaves a message that waits for its status instead of one that is due again at once.
                await using (var take = await db.ClaimAsync<Message>(SqlText.With(ClaimOldestQueuedSql, now), ct, track: false))
                {
                    if (take.Rows.Count == 0) return false;
                    var taken = take.Rows[0].Id;
                    id = taken;
                    await db.Messages.Where(m => m.Id == taken).ExecuteUpdateAsync(set => set.SetProperty(m => m.NextAttemptAt, lease), ct);
                    await take.CommitAsync(ct);
                }
                // xmin is a system column: "*" leaves it out, and EF needs it as the row version.
                var claim = await ClaimLeasedAsync(db, id.Value, lease, ct);
                if (claim is null) return true; // settled by a status or echo in between
                await using var _ = claim;
                var message = claim.Rows[0];
                var conversation = await db.Conversations.SingleAsync(c => c.Id == message.ConversationId, ct);
                var channel = await db.Channels.SingleAsync(c => c.Id == message.ChannelId, ct);
                // The send continues the trace of the turn (or other span) that wrote the message.
                var writtenBy = db.Entry(message).Property<string?>(Data.Configurations.MessageConfiguration.TraceParent).CurrentValue;
                using var activity = Telemetry.ConsoleTelemetry.Source.StartActivity("outbound.send", ActivityKind.Client,
                    writtenBy is not null && ActivityContext.TryParse(writtenBy, null, out var parent) ? parent : default);
                activity?.SetTag("console.channel", Telemetry.MessageMetrics.ChannelTag(channel.Kind));
                activity?.SetTag("console.conversation_id", conversation.Id);
                var result = await SendAsync(db, message, conversation, channel, () => called = true, ct);
                Apply(message, channel, result, now, notices);
                // The alert commits with the outcome it reports: a crash between the two cannot lose it.
                foreach (var (severity, text, tenant) in notices) systemEvents.Stage(db, severity, "outbound", text, tenant);
                await db.SaveChangesAsync(ct);
                await claim.CommitAsync(ct);
            }
            catch (Exception ex) when (id is { } leased && !called && DbErrors.IsDatabaseDown(ex) && !ct.IsCancellationRequested)
            {
                // The database went away before the channel was called: nothing left, so the lease (there to wait for the
                // status of a send that may be out) is given back as soon as the database is there again, instead of
                // holding the message for Outbound:ReconcileSeconds.
                await DatabaseOutage.WaitOutAsync($"Giving back the send of {leased}", c => GiveBackAsync(leased, lease, now, c), log, ct);
                return true;
            }
        }
        return true;
    }

    /// <summary>
    /// The leased message, locked for the send; null once a status or echo has settled it. Another worker's claim scan
    /// or a status being applied can hold the row for a moment: that is waited out (briefly, without blocking on the
    /// lock), since giving up would leave the message unsent until its lease ends.
    /// </summary>
    private static async Task<Data.Claim<Message>?> ClaimLeasedAsync(Data.AppDbContext db, Guid id, DateTimeOffset lease, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var claim = await db.ClaimAsync<Message>(SqlText.With(ClaimLeasedSql, id, lease), ct);
            if (claim.Rows.Count > 0) return claim;
            await claim.DisposeAsync();
            var stillOurs = await db.Messages.AsNoTracking().AnyAsync(m => m.Id == id && m.Status == DeliveryStatus.Queued && m.ExternalId == null
                && m.NextAttemptAt == lease, ct);
            if (!stillOurs || attempt >= 100) return null;
            await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
        }
    }

    /// <summary>
    /// Run once when a node starts, before it sends: sends whose outcome is in doubt (leased, or due again from a lease
    /// that ran out in the last <see cref="OutboundOptions.ReconcileSeconds"/>) wait a full window from now. The status or
    /// echo that settles such a send can only arrive while a node is up to take it (Meta retries it meanwhile), so a
    /// window that ran while the process was down, or restarting slowly, would send the message a second time. Only a
    /// delay for what it touches (a retry due in that span, at worst a send another node is about to make); never a
    /// second send. Returns how many were given the window.
    /// </summary>
    public async Task<int> RestartReconcileWindowAsync(CancellationToken ct)
    {
        await using var work = scopes.ForSystem("outbound dispatch: restart window");
        var now = clock.GetUtcNow();
        var window = TimeSpan.FromSeconds(options.CurrentValue.ReconcileSeconds);
        var until = now + window;
        var since = now - window;
        return await work.Db.Messages
            .Where(m => m.Direction == MessageDirection.Outbound && m.Status == DeliveryStatus.Queued && m.ExternalId == null
                && m.NextAttemptAt != null && m.NextAttemptAt > since && m.NextAttemptAt < until
                // In doubt: leased for its first attempt (no failure recorded yet), or after a send that timed out.
                && ((m.Attempts == 0 && m.ErrorCode == null) || m.ErrorCode == TimedOut))
            .ExecuteUpdateAsync(set => set.SetProperty(m => m.NextAttemptAt, until), ct);
    }

    /// <summary>The failure code of a send whose answer never came: it may be out.</summary>
    public const string TimedOut = "timeout";

    /// <summary>A leased message that never reached the channel is due again (unless a status or echo settled it meanwhile).</summary>
    private async Task GiveBackAsync(Guid id, DateTimeOffset lease, DateTimeOffset dueAt, CancellationToken ct)
    {
        await using var work = scopes.ForSystem("outbound dispatch: give back");
        await work.Db.Messages.Where(m => m.Id == id && m.NextAttemptAt == lease && m.Status == DeliveryStatus.Queued && m.ExternalId == null)
            .ExecuteUpdateAsync(set => set.SetProperty(m => m.NextAttemptAt, dueAt), ct);
    }

    /// <param name="calling">Told just before the channel is called: from then on the message may be out.</param>
    private async Task<SendResult> SendAsync(Data.AppDbContext db, Message message, Conversation conversation, Channel channel, Action calling,
        CancellationToken ct)
    {
        if (!channel.IsLive)
            return SendResult.Failed(new SendFailure(SendFailureKind.Permanent, "channel_inactive",
                $"The channel is {channel.Status.ToString().ToLowerInvariant()}: nothing is sent on it."));
        if (channel.Status == ChannelStatus.Error)
            return SendResult.Failed(new SendFailure(SendFailureKind.Permanent, "channel_error",
                $"The channel needs to be reconnected: {channel.StatusReason}"));
        var envelope = OutboundEnvelope.Parse(message.Payload);
        if (envelope is null)
            return SendResult.Failed(new SendFailure(SendFailureKind.Permanent, "no_content", "The message has no content to send."));

        var recipient = await RecipientAsync(db, channel, conversation, ct);
        if (recipient is null)
            return SendResult.Failed(new SendFailure(SendFailureKind.Permanent, "no_recipient", "The customer has no address on this channel."));

        // Demo mode: record the send instead of calling the network; the customer simulator reads it from here.
        if (options.CurrentValue.Mode == OutboundMode.Loopback) return SendResult.Sent($"loopback.{message.Id:N}");

        var sender = senders.FirstOrDefault(s => s.Handles(channel.Kind));
        if (sender is null)
            return SendResult.Failed(new SendFailure(SendFailureKind.Permanent, "no_sender", $"Sending on {channel.Kind} is not available."));
        var request = new OutboundRequest(channel.Kind, channel.ExternalId, protector.Reveal(channel).AccessToken, recipient, envelope.Content,
            null, envelope.HumanAgentTag, message.Id.ToString("N"));
        calling();
        return await sender.SendAsync(request, ct);
    }

    private static async Task<string?> RecipientAsync(Data.AppDbContext db, Channel channel, Conversation conversation, CancellationToken ct)
    {
        if (channel.Kind == ChannelKind.TikTok) return conversation.ExternalThreadId;
        var preferred = channel.Kind switch
        {
            ChannelKind.WhatsApp => new[] { IdentityKind.WaId, IdentityKind.Bsuid },
            ChannelKind.Messenger => [IdentityKind.Psid],
            ChannelKind.Instagram => [IdentityKind.Igsid],
            _ => [],
        };
        var identities = await db.ContactIdentities.AsNoTracking()
            .Where(i => i.ContactId == conversation.ContactId && i.ChannelId == channel.Id).ToListAsync(ct);
        return preferred.Select(k => identities.FirstOrDefault(i => i.Kind == k)?.Value).FirstOrDefault(v => v is not null);
    }

    private void Apply(Message message, Channel channel, SendResult result, DateTimeOffset now, List<(Severity, TextRef, Guid?)> notices)
    {
        var channelTag = Telemetry.MessageMetrics.ChannelTag(channel.Kind);
        if (result.Succeeded)
        {
            message.MarkSent(result.ExternalId!);
            telemetry.SendAttempted(channelTag, "sent");
            return;
        }
        Activity.Current?.SetStatus(ActivityStatusCode.Error, result.Failure!.Code);
        var failure = result.Failure!;
        var text = failure.Message;
        switch (failure.Kind)
        {
            case SendFailureKind.Retryable or SendFailureKind.RetryableForRecipient when message.Attempts + 1 < options.CurrentValue.MaxAttempts:
                var retryAt = now + failure.RetryAfter.GetValueOrDefault(Backoff.OutboundSend.Delay(message.Attempts + 1));
                // No answer in time: the message may be out, so it waits for a status or echo naming it like a crashed send.
                if (failure.Code == TimedOut && retryAt < now.AddSeconds(options.CurrentValue.ReconcileSeconds))
                    retryAt = now.AddSeconds(options.CurrentValue.ReconcileSeconds);
                message.ScheduleRetry(retryAt, failure.Code, text);
                log.LogInformation("Send of {MessageId} will be retried ({Code}: {Error})", message.Id, failure.Code, text);
                telemetry.SendAttempted(channelTag, "retry");
                return;
            case SendFailureKind.Retryable or SendFailureKind.RetryableForRecipient:
                message.FailSend(failure.Code, $"Gave up after {message.Attempts + 1} attempts: {text}");
                telemetry.SendAttempted(channelTag, "failed");
                notices.Add((Severity.Error, new TextRef("SystemEvent.SendGaveUp", $"A message on {channel.Kind} {channel.ExternalId} failed after retries: {text}",
                    channel.Kind.ToString(), channel.ExternalId, text), channel.TenantId));
                return;
            case SendFailureKind.TokenExpired:
                channel.MarkError($"Access token expired or revoked ({failure.Code}): {text}");
                notices.Add((Severity.Error, new TextRef("SystemEvent.TokenExpired", $"{channel.Kind} {channel.ExternalId}: access token expired; reconnect the channel",
                    channel.Kind.ToString(), channel.ExternalId), channel.TenantId));
                break;
            case SendFailureKind.Policy:
                notices.Add((Severity.Error, new TextRef("SystemEvent.PolicyBlocked", $"{channel.Kind} {channel.ExternalId}: message blocked by policy ({failure.Code}): {text}",
                    channel.Kind.ToString(), channel.ExternalId, failure.Code, text), channel.TenantId));
                break;
        }
        telemetry.SendAttempted(channelTag, "failed");
        message.FailSend(failure.Code, failure.Kind == SendFailureKind.WindowClosed ? $"{OutboundMessages.WindowClosedText(channel.Kind)} ({text})" : text);
    }
}

/// <summary>Runs the dispatcher on every node: woken when a message is queued, polling for retries and other nodes' rows.</summary>
public sealed class OutboundWorker(OutboundDispatcher dispatcher, OutboundSignal signal, IOptions<OutboundOptions> options,
    ILogger<OutboundWorker> log) : Hosting.WorkLoop(log)
{
    protected override int Workers => options.Value.Workers;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Workers <= 0) return;
        // Before this node sends anything, sends a crash left in doubt get their window counted from now.
        await DatabaseOutage.WaitOutAsync("Restarting the reconciliation window of sends in doubt",
            async ct => { if (await dispatcher.RestartReconcileWindowAsync(ct) is > 0 and var n) log.LogInformation("{Count} sends in doubt wait for their status", n); },
            log, stoppingToken);
        await base.ExecuteAsync(stoppingToken);
    }

    protected override Task<bool> RunOnceAsync(CancellationToken ct) => dispatcher.DispatchNextAsync(ct);

    protected override Task IdleAsync(CancellationToken ct) => signal.WaitAsync(TimeSpan.FromSeconds(1), ct);
}
