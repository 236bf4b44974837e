using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Inbound;
using OperatorConsole.Infrastructure.Payments;
using OperatorConsole.Tests.Channels.Inbound;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Hostile;

/// <summary>
/// Property-based fuzzing of every webhook parser (no database, no HTTP: thousands of cases a second). Properties:
/// a parser answers with events or with <see cref="WebhookFormatException"/> (which the endpoint turns into a stored
/// "unparseable" delivery and a 400), never with any other exception; and a message of a type nobody knows is kept as
/// an <see cref="MessageType.Unsupported"/> message with its raw object, not dropped. CONSOLE_FUZZ_CASES raises the count.
/// </summary>
public class WebhookParserPropertyTests
{
    private static readonly int CasesPerChannel = HostilePayloads.Cases(200);

    private static Config Config(int cases) => FsCheck.Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true);

    /// <summary>True when the parser answered events or the one exception the endpoint expects.</summary>
    private static bool ParsesOrRefuses(HostileBody body)
    {
        try
        {
            _ = InboundParsers.Parse(body.Source, body.Bytes);
            return true;
        }
        catch (WebhookFormatException)
        {
            return true;
        }
    }

    [Theory]
    [InlineData("whatsapp")]
    [InlineData("messenger")]
    [InlineData("instagram")]
    [InlineData("tiktok")]
    public void Random_json_never_makes_a_parser_throw_anything_but_a_format_error(string source) =>
        Check.One(Config(CasesPerChannel), Prop.ForAll(Arb.From(HostilePayloads.RandomJson(source)), ParsesOrRefuses));

    [Theory]
    [InlineData("whatsapp")]
    [InlineData("messenger")]
    [InlineData("instagram")]
    [InlineData("tiktok")]
    public void Mutated_real_payloads_never_make_a_parser_throw_anything_but_a_format_error(string source) =>
        Check.One(Config(CasesPerChannel), Prop.ForAll(Arb.From(HostilePayloads.Mutated(source)), ParsesOrRefuses));

    /// <summary>Every mutated WhatsApp sample still names its number: whatever survives is routed, and every event names an account.</summary>
    [Fact]
    public void Every_event_a_parser_returns_names_its_channel_account()
    {
        var all = HostilePayloads.Sources.Select(s => HostilePayloads.Any(s)).ToArray();
        Check.One(Config(CasesPerChannel), Prop.ForAll(Arb.From(Gen.OneOf(all)), body =>
        {
            IReadOnlyList<InboundEvent> events;
            try
            {
                events = InboundParsers.Parse(body.Source, body.Bytes);
            }
            catch (WebhookFormatException)
            {
                return true;
            }
            return events.All(e => !string.IsNullOrEmpty(e.ChannelExternalId)
                && (e is not InboundMessage m || (!string.IsNullOrEmpty(m.ExternalId) && !string.IsNullOrEmpty(m.Customer.Id))));
        }));
    }

    /// <summary>
    /// A message whose ids are longer than any channel sends (and than the columns that keep them) is dropped as a
    /// malformed item; before, it failed the whole delivery at the database, good messages with it.
    /// </summary>
    [Fact]
    public void A_message_with_an_id_longer_than_any_channel_sends_is_dropped_and_the_rest_of_the_delivery_kept()
    {
        var at = DateTimeOffset.UtcNow;
        var body = Deliveries.WhatsAppBatch(
            ("1234567890", "5215512345678", "wamid.good", "hola", at, "Ana"),
            ("1234567890", new string('9', 100_000), "wamid.huge-sender", "hola", at, "Ana"),
            ("1234567890", "5215512345678", "wamid." + new string('x', 300), "hola", at, "Ana"),
            (new string('1', 100), "5215512345678", "wamid.huge-channel", "hola", at, "Ana"));
        var events = InboundParsers.Parse("whatsapp", Encoding.UTF8.GetBytes(body));
        var message = Assert.IsType<InboundMessage>(Assert.Single(events));
        Assert.Equal("wamid.good", message.ExternalId);
    }

    /// <summary>Gen of a type name nobody has heard of (letters, digits, unicode, markup).</summary>
    private static Gen<string> UnknownType => Gen.Elements("hologram", "x", "Ümlaut_kind", "🦩", "<b>tipo</b>", "type with spaces", "IMAGE2")
        .Zip(Gen.Choose(0, 99_999)).Select(t => t.Item1 + "_" + t.Item2);

    [Fact]
    public void A_WhatsApp_message_of_an_unknown_type_is_kept_as_unsupported_with_its_raw_object() =>
        Check.One(Config(CasesPerChannel), Prop.ForAll(Arb.From(UnknownType.Zip(HostilePayloads.Value(2))), t =>
        {
            var (type, content) = t;
            var message = InboundPayloads.WhatsAppMessage(type, HostilePayloads.RawPlaceholder, "wamid.U1");
            var body = HostilePayloads.WithRaw(InboundPayloads.WhatsAppDelivery(InboundPayloads.WhatsAppValue(contacts: [InboundPayloads.WhatsAppContact()],
                messages: [message])), content);
            var kept = InboundParsers.Parse("whatsapp", Encoding.UTF8.GetBytes(body)).OfType<InboundMessage>().Single();
            return kept.ExternalId == "wamid.U1" && kept.Type == MessageType.Unsupported && JsonSearch.HasString(kept.PayloadJson!, type);
        }));

    [Theory]
    [InlineData("messenger")]
    [InlineData("instagram")]
    public void A_Meta_attachment_of_an_unknown_type_is_kept_as_unsupported_with_its_raw_object(string source) =>
        Check.One(Config(CasesPerChannel), Prop.ForAll(Arb.From(UnknownType.Zip(HostilePayloads.Value(2))), t =>
        {
            var (type, payload) = t;
            var (objectName, account, customer) = source == "messenger"
                ? ("page", InboundPayloads.PageId, InboundPayloads.Psid)
                : ("instagram", InboundPayloads.IgAccountId, InboundPayloads.Igsid);
            var body = HostilePayloads.WithRaw(InboundPayloads.MetaDelivery(objectName, account, InboundPayloads.MetaItem(customer, account,
                InboundPayloads.TimestampMs, "message", new JsonObject
                {
                    ["mid"] = "m_U1",
                    ["attachments"] = new JsonArray(new JsonObject { ["type"] = type, ["payload"] = HostilePayloads.RawPlaceholder }),
                })), payload);
            var kept = InboundParsers.Parse(source, Encoding.UTF8.GetBytes(body)).OfType<InboundMessage>().Single();
            return kept.ExternalId == "m_U1" && kept.Type == MessageType.Unsupported && JsonSearch.HasString(kept.PayloadJson!, type);
        }));

    [Fact]
    public void A_TikTok_message_of_an_unknown_type_is_kept_as_unsupported_with_its_content() =>
        Check.One(Config(CasesPerChannel), Prop.ForAll(Arb.From(UnknownType.Zip(HostilePayloads.Value(2))), t =>
        {
            var (type, inner) = t;
            var body = HostilePayloads.WithRaw(InboundPayloads.TikTokEvent("im_receive_msg", InboundPayloads.TikTokContent(type,
                HostilePayloads.RawPlaceholder, "tt_U1", InboundPayloads.TikTokOpenId, InboundPayloads.TikTokBusinessId)), inner);
            var kept = InboundParsers.Parse("tiktok", Encoding.UTF8.GetBytes(body)).OfType<InboundMessage>().Single();
            return kept.ExternalId == "tt_U1" && kept.Type == MessageType.Unsupported && JsonSearch.HasString(kept.PayloadJson!, type);
        }));

    // ---- Stripe: both Stripe routes verify and read events through StripeGateway.Verify ----------------------------------

    private const string StripeSecret = "whsec_fuzz";

    /// <summary>Events as Stripe sends them (a paid Checkout Session, a subscription), then mutated like the channels' samples.</summary>
    public static Gen<HostileBody> StripeBodies()
    {
        string[] samples =
        [
            FakeStripeApi.SignedEvent("checkout.session.completed", FakeStripeApi.Session(Guid.NewGuid(), 45000, "mxn"), StripeSecret).Json,
            FakeStripeApi.SignedEvent("customer.subscription.updated", new JsonObject
            {
                ["id"] = "sub_1", ["object"] = "subscription", ["status"] = "active", ["customer"] = "cus_1",
                ["metadata"] = new JsonObject { ["tenant_id"] = Guid.NewGuid().ToString() },
                ["items"] = new JsonObject { ["object"] = "list", ["data"] = new JsonArray(new JsonObject { ["id"] = "si_1", ["price"] = new JsonObject { ["id"] = "price_1" } }) },
            }, StripeSecret).Json,
        ];
        var mutated = HostilePayloads.MutatedText(samples, "stripe");
        return HostilePayloads.Freq((2, mutated), (1, HostilePayloads.Value(4).Select(v => new HostileBody("stripe", "random value", Encoding.UTF8.GetBytes(v)))));
    }

    [Theory]
    [InlineData("customer")]
    [InlineData("id")]
    public void A_signed_Stripe_event_with_a_NUL_in_an_id_is_refused_as_unparseable_before_any_query_sees_it(string field)
    {
        // Found by the fuzzing over HTTP: a NUL in the customer id reached the tenant lookup and PostgreSQL answered 500.
        var subscription = new JsonObject
        {
            ["id"] = "sub_1", ["object"] = "subscription", ["status"] = "active", ["customer"] = "cus_1",
            ["metadata"] = new JsonObject { ["tenant_id"] = Guid.NewGuid().ToString() },
        };
        subscription[field] = "a\0b";
        var (json, header) = FakeStripeApi.SignedEvent("customer.subscription.updated", subscription, StripeSecret);
        Assert.Contains("\\u0000", json);
        var refused = Assert.Throws<StripeEventFormatException>(() => StripeGateway.Verify(json, header, StripeSecret));
        Assert.Contains("NUL", refused.Message);

        // The same event without the NUL is read: the refusal is about the NUL, not the shape.
        subscription[field] = "ab";
        var (clean, cleanHeader) = FakeStripeApi.SignedEvent("customer.subscription.updated", subscription, StripeSecret);
        Assert.NotNull(StripeGateway.Verify(clean, cleanHeader, StripeSecret));
    }

    [Fact]
    public void A_signed_Stripe_event_of_any_shape_is_read_or_refused_as_unparseable_never_thrown() =>
        Check.One(Config(CasesPerChannel), Prop.ForAll(Arb.From(StripeBodies()), body =>
        {
            var json = Encoding.UTF8.GetString(body.Bytes);
            var header = Stripe.EventUtility.GenerateSignatureHeader(json, StripeSecret, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            try
            {
                var read = StripeGateway.Verify(json, header, StripeSecret);
                // The handlers store the id and type of every event they read: both must be there.
                return read is not null && !string.IsNullOrEmpty(read.Id) && !string.IsNullOrEmpty(read.Type);
            }
            catch (StripeEventFormatException)
            {
                return true;
            }
        }));
}
