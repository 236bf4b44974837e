using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Live;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Media;

/// <summary>
/// Downloads inbound media into the media store: WhatsApp through the Graph media flow (GET the media id for a
/// short-lived URL, then GET that URL with the same token), Messenger/Instagram from the attachment URL. Claims one
/// message at a time with SKIP LOCKED; failures retry with backoff until the channel's link would have expired.
/// </summary>
public sealed class MediaFetcher(
    ContextScopes scopes,
    IMediaStore store,
    SecretProtector protector,
    IHttpClientFactory http,
    IOptionsMonitor<MetaOptions> meta,
    IOptionsMonitor<OutboundOptions> mode,
    IOptionsMonitor<MediaOptions> options,
    ConversationNotifier notifier,
    TimeProvider clock,
    ILogger<MediaFetcher> log)
{
    private const int MaxAttempts = 6;

    public async Task<bool> FetchNextAsync(CancellationToken ct)
    {
        (Guid Tenant, Guid Conversation)? changed = null;
        await using (var work = scopes.ForSystem("media fetch"))
        {
            var db = work.Db;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var now = clock.GetUtcNow();
            var claimed = await db.Messages.FromSql($"""
                SELECT m.*, m.xmin FROM messages m
                WHERE m.media_state = 'Pending' AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= {now})
                ORDER BY m.created_at LIMIT 1 FOR UPDATE SKIP LOCKED
                """).ToListAsync(ct);
            if (claimed.Count == 0) return false;
            var message = claimed[0];
            var channel = await db.Channels.AsNoTracking().SingleAsync(c => c.Id == message.ChannelId, ct);
            if (mode.CurrentValue.Mode == OutboundMode.Loopback)
            {
                // Demo mode talks to no channel API: say so on the message instead of retrying for nothing.
                message.MediaFailed("Media is not fetched in loopback (demo) mode.", null);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return true;
            }
            try
            {
                var contentType = await DownloadAsync(message, channel, ct);
                message.MediaStored(contentType);
            }
            catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or JsonException or TaskCanceledException
                                       && !ct.IsCancellationRequested)
            {
                var giveUp = message.Attempts + 1 >= MaxAttempts;
                message.MediaFailed(ex.Message, giveUp ? null : now + TimeSpan.FromSeconds(Math.Pow(4, message.Attempts + 1)));
                log.LogWarning("Media for message {MessageId} not fetched (attempt {Attempt}): {Error}", message.Id, message.Attempts, ex.Message);
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            changed = (message.TenantId, message.ConversationId);
        }
        notifier.Publish(new ConversationChanged(changed.Value.Tenant, changed.Value.Conversation, "media"));
        return true;
    }

    private async Task<string> DownloadAsync(Message message, Channel channel, CancellationToken ct)
    {
        var media = JsonDocument.Parse(message.Payload ?? "{}").RootElement.TryGetProperty("media", out var m) ? m : default;
        if (media.ValueKind != JsonValueKind.Object) throw new InvalidOperationException("The message has no media reference.");
        var mediaId = media.TryGetProperty("mediaId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        var url = media.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
        var client = http.CreateClient("graph");
        var token = protector.Reveal(channel).AccessToken;
        string contentType;
        if (channel.Kind == ChannelKind.WhatsApp && mediaId is not null)
        {
            var info = new HttpRequestMessage(HttpMethod.Get, $"{meta.CurrentValue.GraphBaseUrl.TrimEnd('/')}/{meta.CurrentValue.GraphVersion}/{mediaId}");
            info.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var infoResponse = await client.SendAsync(info, ct);
            infoResponse.EnsureSuccessStatusCode();
            var json = JsonDocument.Parse(await infoResponse.Content.ReadAsStringAsync(ct)).RootElement;
            url = json.GetProperty("url").GetString();
            contentType = json.TryGetProperty("mime_type", out var mt) ? mt.GetString() ?? "application/octet-stream" : "application/octet-stream";
        }
        else
        {
            contentType = media.TryGetProperty("mimeType", out var mt) && mt.ValueKind == JsonValueKind.String
                ? mt.GetString()! : "application/octet-stream";
        }
        if (url is null) throw new InvalidOperationException("The channel gave no media URL.");
        var download = new HttpRequestMessage(HttpMethod.Get, url);
        if (channel.Kind == ChannelKind.WhatsApp) download.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(download, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength > options.CurrentValue.MaxBytes)
            throw new InvalidOperationException($"The file is larger than {options.CurrentValue.MaxBytes} bytes.");
        if (response.Content.Headers.ContentType?.MediaType is { } served && contentType == "application/octet-stream") contentType = served;
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        await store.SaveAsync(message.TenantId, message.Id, stream, ct);
        return contentType;
    }
}

/// <summary>Runs the media fetcher on every node, polling each second for media still to fetch.</summary>
public sealed class MediaWorker(MediaFetcher fetcher, IOptions<MediaOptions> options, ILogger<MediaWorker> log) : Hosting.WorkLoop(log)
{
    protected override int Workers => options.Value.Workers;

    protected override Task<bool> RunOnceAsync(CancellationToken ct) => fetcher.FetchNextAsync(ct);

    protected override Task IdleAsync(CancellationToken ct) => Task.Delay(TimeSpan.FromSeconds(1), ct);
}
