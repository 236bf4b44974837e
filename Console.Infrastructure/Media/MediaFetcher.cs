using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Media;

/// <summary>
/// Downloads inbound media into the media store: WhatsApp through the Graph media flow (GET the media id for a
/// short-lived URL, then GET that URL with the same token), Messenger/Instagram from the attachment URL. Claims one
/// message at a time with SKIP LOCKED; failures retry with backoff until the channel's link would have expired.
/// Media URLs are tenant-controlled input (a tenant signs its own deliveries): they are fetched only from the Graph
/// origin or a media host (<see cref="MediaSources"/>), only from public addresses (the guarded handler), redirects
/// re-checked hop by hop, the size counted while streaming and the type decided from the bytes; a URL or file that
/// breaks one of these rules is refused for good.
/// </summary>
public sealed class MediaFetcher(
    ContextScopes scopes,
    IMediaStore store,
    MediaUnderstanding understanding,
    SecretProtector protector,
    IHttpClientFactory http,
    IOptionsMonitor<MetaOptions> meta,
    IOptionsMonitor<OutboundOptions> mode,
    IOptionsMonitor<MediaOptions> options,
    TimeProvider clock,
    ILogger<MediaFetcher> log)
{
    private const int MaxAttempts = 6;

    public const string HttpClientName = "media";

    // {0} now. The media state is a literal named from the enum: a partial index on pending media names it.
    private const string ClaimPendingMediaSql = $$"""
        SELECT m.*, m.xmin FROM messages m
        WHERE m.media_state = '{{nameof(MediaState.Pending)}}' AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= {0})
        ORDER BY m.created_at LIMIT 1 FOR UPDATE SKIP LOCKED
        """;

    public async Task<bool> FetchNextAsync(CancellationToken ct)
    {
        await using (var work = scopes.ForSystem("media fetch"))
        {
            var db = work.Db;
            var now = clock.GetUtcNow();
            await using var claim = await db.ClaimAsync<Message>(SqlText.With(ClaimPendingMediaSql, now), ct);
            if (claim.Rows.Count == 0) return false;
            var message = claim.Rows[0];
            var channel = await db.Channels.AsNoTracking().SingleAsync(c => c.Id == message.ChannelId, ct);
            if (mode.CurrentValue.Mode == OutboundMode.Loopback)
            {
                // Demo mode talks to no channel API: say so on the message instead of retrying for nothing.
                message.MediaFailed("Media is not fetched in loopback (demo) mode.", null);
                await db.SaveChangesAsync(ct);
                await claim.CommitAsync(ct);
                return true;
            }
            try
            {
                var contentType = await DownloadAsync(message, channel, ct);
                await UnderstandAsync(db, message, contentType, ct);
                message.MediaStored(contentType);
            }
            catch (Exception ex) when (Refusal(ex) is { } refusal && !ct.IsCancellationRequested)
            {
                // A broken rule does not heal with time: refused for good, never retried.
                message.MediaRefused(refusal.Reason, refusal.Detail);
                log.LogWarning("Media for message {MessageId} refused ({Reason}): {Error}", message.Id, refusal.Reason, refusal.Detail);
            }
            catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or JsonException or TaskCanceledException or IOException
                                       && !ct.IsCancellationRequested)
            {
                var giveUp = message.Attempts + 1 >= MaxAttempts;
                message.MediaFailed(ex.Message, giveUp ? null : now + Backoff.MediaFetch.Delay(message.Attempts + 1));
                log.LogWarning("Media for message {MessageId} not fetched (attempt {Attempt}): {Error}", message.Id, message.Attempts, ex.Message);
            }
            await db.SaveChangesAsync(ct);
            if (message.MediaState != MediaState.Pending && message.Type is MessageType.Audio or MessageType.Image)
            {
                // A turn waiting for this file (TurnPreparer) need not wait out its bound: it is due now.
                await db.Database.ExecuteSqlAsync($"""
                    UPDATE conversations SET agent_due_at = {now}
                    WHERE id = {message.ConversationId} AND agent_due_at > {now} AND agent_lease_id IS NULL
                    """, ct);
            }
            await claim.CommitAsync(ct);
        }
        return true;
    }

    /// <summary>
    /// Transcribes a voice note or describes an image (when the tenant allows it) before the media counts as stored: the
    /// waiting agent turn then reads the text together with the file. A failed reading leaves no text, never a failed fetch.
    /// </summary>
    private async Task UnderstandAsync(AppDbContext db, Message message, string contentType, CancellationToken ct)
    {
        var describes = message.Type == MessageType.Image
            && await db.Tenants.AsNoTracking().Where(t => t.Id == message.TenantId).Select(t => t.DescribeImages).SingleAsync(ct);
        if (!understanding.Wants(message.Type, describes) || store.Open(message.TenantId, message.Id) is not { } stored) return;
        MediaReading? reading;
        await using (stored) reading = await understanding.ReadAsync(message, stored, contentType, ct);
        if (reading is null) return;
        message.Understood(reading.Text);
        if (reading.Usage is { } usage) db.TokenUsage.Add(usage);
    }

    private static (string Reason, string Detail)? Refusal(Exception ex) => ex switch
    {
        MediaRefusedException r => (r.Reason, r.Message),
        _ when GuardedNetwork.Blocked(ex) is { } b => (b.Reason, b.Message),
        _ => null,
    };

    private async Task<string> DownloadAsync(Message message, Channel channel, CancellationToken ct)
    {
        var media = JsonDocument.Parse(message.Payload ?? "{}").RootElement.TryGetProperty("media", out var m) ? m : default;
        if (media.ValueKind != JsonValueKind.Object) throw new InvalidOperationException("The message has no media reference.");
        var mediaId = media.TryGetProperty("mediaId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        var url = media.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
        var settings = meta.CurrentValue;
        var graph = new Uri(settings.GraphBaseUrl);
        var client = http.CreateClient(HttpClientName);
        var token = protector.Reveal(channel).AccessToken;
        string? declared;
        Uri? tokenOrigin = null;
        if (channel.Kind == ChannelKind.WhatsApp && mediaId is not null)
        {
            var info = new HttpRequestMessage(HttpMethod.Get, $"{settings.GraphBaseUrl.TrimEnd('/')}/{settings.GraphVersion}/{Uri.EscapeDataString(mediaId)}");
            info.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var infoResponse = await client.SendAsync(info, ct);
            infoResponse.EnsureSuccessStatusCode();
            var json = JsonDocument.Parse(await infoResponse.Content.ReadAsStringAsync(ct)).RootElement;
            url = json.GetProperty("url").GetString();
            declared = json.TryGetProperty("mime_type", out var mt) ? mt.GetString() : null;
            // The lookaside URL Graph itself handed out is the one other place WhatsApp's token may go.
            if (Uri.TryCreate(url, UriKind.Absolute, out var lookaside)) tokenOrigin = lookaside;
        }
        else
        {
            declared = media.TryGetProperty("mimeType", out var mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString() : null;
        }
        if (url is null) throw new InvalidOperationException("The channel gave no media URL.");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var start)) throw new MediaRefusedException("url", "The media URL is not an absolute URL.");
        var suffixes = settings.EffectiveMediaHostSuffixes;
        var limits = options.CurrentValue;
        using var response = await GuardedNetwork.GetFollowingRedirectsAsync(client, start, target =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, target);
            // The bearer token goes to the Graph origin and Graph's own lookaside URL only, never along a redirect elsewhere.
            if (channel.Kind == ChannelKind.WhatsApp
                && (MediaSources.SameOrigin(target, graph) || (tokenOrigin is not null && MediaSources.SameOrigin(target, tokenOrigin))))
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return request;
        }, target => MediaSources.Refuse(target, graph, suffixes), limits.MaxRedirects, ct);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength > limits.MaxBytes)
            throw new MediaRefusedException("size", $"The file is larger than {limits.MaxBytes} bytes.");
        declared ??= response.Content.Headers.ContentType?.MediaType;
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var head = await CappedStream.ReadHeadAsync(stream, MediaTypes.SampleSize, ct);
        var contentType = MediaTypes.Detect(head, declared)
            ?? throw new MediaRefusedException("type", $"The file's bytes are not a type this app accepts (declared {declared ?? "none"}).");
        if (!MediaTypes.AllowedFor(message.Type, contentType))
            throw new MediaRefusedException("type", $"A {contentType} file is not accepted for a {message.Type} message.");
        await store.SaveAsync(message.TenantId, message.Id, new CappedStream(head, stream, limits.MaxBytes), ct);
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
