using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Infrastructure.Channels.Inbound;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Channels.Simulator;

/// <summary>The simulated customer's address on a channel (wa_id digits, PSID, IGSID or TikTok user id).</summary>
public sealed record SimulatedCustomer(string Id, string Name);

public enum SimulationResult { Sent, NoSecret, Rejected }

/// <summary>
/// Plays the customer's phone: builds the channel's real webhook payloads, signs them with the same secret Meta or
/// TikTok would use, and posts them to this app's own webhook endpoint (<see cref="ISelfAddress"/>), so the whole inbound path runs unchanged.
/// It also acknowledges what the business sent (delivered, read), which drives the delivery ticks.
/// </summary>
public sealed class CustomerSimulator(
    ContextScopes scopes,
    SecretProtector protector,
    IOptionsMonitor<MetaOptions> meta,
    IOptionsMonitor<TikTokOptions> tiktok,
    IHttpClientFactory http,
    ISelfAddress self,
    Platform.PublicLinks publicLinks,
    TimeProvider clock)
{
    public static IdentityKind IdentityFor(ChannelKind kind) => kind switch
    {
        ChannelKind.WhatsApp => IdentityKind.WaId,
        ChannelKind.Messenger => IdentityKind.Psid,
        ChannelKind.Instagram => IdentityKind.Igsid,
        _ => IdentityKind.OpenId,
    };

    public async Task<SimulationResult> SendTextAsync(Guid tenantId, Guid channelId, SimulatedCustomer customer, string text,
        CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var id = Guid.NewGuid().ToString("N");
        return await PostAsync(tenantId, channelId, channel => channel.Kind switch
        {
            ChannelKind.WhatsApp => WhatsApp(channel, new
            {
                contacts = new[] { new { profile = new { name = customer.Name }, wa_id = customer.Id } },
                messages = new[] { new { from = customer.Id, id = $"wamid.SIM{id}", timestamp = SecondsUp(now), type = "text", text = new { body = text } } },
            }),
            ChannelKind.Messenger or ChannelKind.Instagram => Messaging(channel, now, new
            {
                sender = new { id = customer.Id }, recipient = new { id = channel.ExternalId }, timestamp = now.ToUnixTimeMilliseconds(),
                message = new { mid = $"m_SIM{id}", text },
            }),
            _ => TikTok(channel, "im_receive_msg", customer, now, new
            {
                type = "text", message_id = $"tt_SIM{id}", timestamp = now.ToUnixTimeMilliseconds(), conversation_id = $"sim-{customer.Id}",
                text = new { body = text }, from_user = new { id = customer.Id }, to_user = new { id = channel.ExternalId },
            }),
        }, ct);
    }

    /// <summary>
    /// The customer taps a reply button or a list row the business sent: WhatsApp's interactive reply and Messenger /
    /// Instagram's quick reply carry the option's id (what a reminder's Confirm names), TikTok has only the words.
    /// </summary>
    public async Task<SimulationResult> SendChoiceAsync(Guid tenantId, Guid channelId, SimulatedCustomer customer, string choiceId, string title,
        bool fromList, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var id = Guid.NewGuid().ToString("N");
        return await PostAsync(tenantId, channelId, channel => channel.Kind switch
        {
            ChannelKind.WhatsApp => WhatsApp(channel, new
            {
                contacts = new[] { new { profile = new { name = customer.Name }, wa_id = customer.Id } },
                messages = new[]
                {
                    new
                    {
                        from = customer.Id, id = $"wamid.SIM{id}", timestamp = SecondsUp(now), type = "interactive",
                        interactive = fromList
                            ? (object)new { type = "list_reply", list_reply = new { id = choiceId, title } }
                            : new { type = "button_reply", button_reply = new { id = choiceId, title } },
                    },
                },
            }),
            ChannelKind.Messenger or ChannelKind.Instagram => Messaging(channel, now, new
            {
                sender = new { id = customer.Id }, recipient = new { id = channel.ExternalId }, timestamp = now.ToUnixTimeMilliseconds(),
                message = new { mid = $"m_SIM{id}", text = title, quick_reply = new { payload = choiceId } },
            }),
            _ => TikTok(channel, "im_receive_msg", customer, now, new
            {
                type = "text", message_id = $"tt_SIM{id}", timestamp = now.ToUnixTimeMilliseconds(), conversation_id = $"sim-{customer.Id}",
                text = new { body = title }, from_user = new { id = customer.Id }, to_user = new { id = channel.ExternalId },
            }),
        }, ct);
    }

    /// <summary>The customer's phone received and read these business messages: post the channel's status events.</summary>
    public async Task<SimulationResult> AcknowledgeAsync(Guid tenantId, Guid channelId, SimulatedCustomer customer,
        IReadOnlyList<string> externalIds, bool read, CancellationToken ct)
    {
        if (externalIds.Count == 0) return SimulationResult.Sent;
        var now = clock.GetUtcNow();
        var status = read ? "read" : "delivered";
        return await PostAsync(tenantId, channelId, channel => channel.Kind switch
        {
            ChannelKind.WhatsApp => WhatsApp(channel, new
            {
                statuses = externalIds.Select(x => new { id = x, status, timestamp = Seconds(now), recipient_id = customer.Id }).ToArray(),
            }),
            ChannelKind.Messenger or ChannelKind.Instagram => Messaging(channel, now, read
                ? new { sender = new { id = customer.Id }, recipient = new { id = channel.ExternalId }, timestamp = now.ToUnixTimeMilliseconds(),
                        read = new { watermark = now.ToUnixTimeMilliseconds() } }
                : (object)new { sender = new { id = customer.Id }, recipient = new { id = channel.ExternalId }, timestamp = now.ToUnixTimeMilliseconds(),
                        delivery = new { mids = externalIds, watermark = now.ToUnixTimeMilliseconds() } }),
            _ => TikTok(channel, "im_mark_read_msg", customer, now, new
            {
                conversation_id = $"sim-{customer.Id}", timestamp = now.ToUnixTimeMilliseconds(), from_user = new { id = customer.Id },
                to_user = new { id = channel.ExternalId },
            }),
        }, ct);
    }

    private async Task<SimulationResult> PostAsync(Guid tenantId, Guid channelId, Func<Channel, object> build, CancellationToken ct)
    {
        Channel channel;
        string slug;
        await using (var work = scopes.ForTenant(tenantId))
        {
            channel = await work.Db.Channels.AsNoTracking().SingleAsync(c => c.Id == channelId, ct);
            slug = await work.Db.Tenants.Where(t => t.Id == tenantId).Select(t => t.Slug).SingleAsync(ct);
        }
        // A channel with its own app uses the tenant endpoint and its secret; otherwise the platform app's.
        var own = protector.Reveal(channel).AppSecret;
        var secret = own ?? (channel.Kind == ChannelKind.TikTok ? tiktok.CurrentValue.ClientSecret : meta.CurrentValue.AppSecret);
        if (string.IsNullOrEmpty(secret)) return SimulationResult.NoSecret;
        var source = InboundParsers.SourceOf(channel.Kind);
        var path = own is null ? $"webhooks/{source}" : $"webhooks/{source}/{slug}";

        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(build(channel)));
        // To this app's own address (never one a browser supplied: that would make the server post signed
        // deliveries wherever the page was loaded from), under its public host name so host filtering lets it in.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(self.BaseAddress, path))
        {
            Headers = { Host = publicLinks.Base.Authority },
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        if (channel.Kind == ChannelKind.TikTok) request.Headers.Add("Tiktok-Signature", WebhookSignatures.SignTikTok(body, secret, clock.GetUtcNow()));
        else request.Headers.Add("X-Hub-Signature-256", WebhookSignatures.SignMeta(body, secret));
        using var response = await http.CreateClient("simulator").SendAsync(request, ct);
        return response.IsSuccessStatusCode ? SimulationResult.Sent : SimulationResult.Rejected;
    }

    // WhatsApp stamps whole seconds; rounded down, a quick tap on an option the bot just sent would sort before that
    // message (our sends carry milliseconds) and the agent would not see it as the newest.
    private static string SecondsUp(DateTimeOffset at) =>
        ((at.ToUnixTimeMilliseconds() + 999) / 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Seconds(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static object WhatsApp(Channel channel, object value) => new
    {
        @object = "whatsapp_business_account",
        entry = new[]
        {
            new
            {
                id = channel.AccountId ?? "0",
                changes = new[] { new { field = "messages", value = Merge(new { messaging_product = "whatsapp",
                    metadata = new { display_phone_number = "", phone_number_id = channel.ExternalId } }, value) } },
            },
        },
    };

    private static object Messaging(Channel channel, DateTimeOffset now, object item) => new
    {
        @object = channel.Kind == ChannelKind.Instagram ? "instagram" : "page",
        entry = new[] { new { id = channel.ExternalId, time = now.ToUnixTimeMilliseconds(), messaging = new[] { item } } },
    };

    private static object TikTok(Channel channel, string eventName, SimulatedCustomer customer, DateTimeOffset now, object content) => new
    {
        client_key = "simulator", @event = eventName, create_time = now.ToUnixTimeSeconds(), user_openid = customer.Id,
        content = JsonSerializer.Serialize(content),
    };

    private static Dictionary<string, object?> Merge(object a, object b)
    {
        var result = new Dictionary<string, object?>();
        foreach (var source in new[] { a, b })
            foreach (var p in source.GetType().GetProperties()) result[p.Name] = p.GetValue(source);
        return result;
    }
}
