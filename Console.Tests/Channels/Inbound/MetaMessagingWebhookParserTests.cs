using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Inbound;
using static OperatorConsole.Tests.Channels.Inbound.InboundPayloads;

namespace OperatorConsole.Tests.Channels.Inbound;

public class MetaMessagingWebhookParserTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeMilliseconds(TimestampMs);

    private static IReadOnlyList<InboundEvent> Parse(string json) => MetaMessagingWebhookParser.Parse(Encoding.UTF8.GetBytes(json));

    private static IReadOnlyList<InboundEvent> ParseMessenger(string eventKey, string eventJson, string? sender = null, string? recipient = null) =>
        Parse(MetaDelivery("page", PageId, MetaItem(sender ?? Psid, recipient ?? PageId, TimestampMs, eventKey, JsonNode.Parse(eventJson)!)));

    private static IReadOnlyList<InboundEvent> ParseInstagram(string eventKey, string eventJson, string? sender = null, string? recipient = null) =>
        Parse(MetaDelivery("instagram", IgAccountId, MetaItem(sender ?? Igsid, recipient ?? IgAccountId, TimestampMs, eventKey, JsonNode.Parse(eventJson)!)));

    private static JsonElement PayloadOf(string? payloadJson)
    {
        Assert.NotNull(payloadJson);
        return JsonDocument.Parse(payloadJson).RootElement;
    }

    // ---- messages ----------------------------------------------------------------------------------------------

    [Fact]
    public void Messenger_text_message_is_identified_by_psid_on_its_page()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(MessengerText(text: "hola", mid: "m_1"))));

        Assert.Equal(ChannelKind.Messenger, message.Channel);
        Assert.Equal(PageId, message.ChannelExternalId);
        Assert.Equal("m_1", message.ExternalId);
        Assert.Equal(MessageType.Text, message.Type);
        Assert.Equal("hola", message.Text);
        Assert.Equal(new CustomerRef(IdentityKind.Psid, Psid), message.Customer);
        Assert.Equal(At, message.SentAt);
        Assert.Equal("""{"type":"text","text":"hola"}""", message.PayloadJson);
        Assert.False(message.FromAd);
    }

    [Fact]
    public void Instagram_text_message_is_identified_by_igsid_on_its_account()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(InstagramText(text: "hey", mid: "ig_m_9"))));

        Assert.Equal(ChannelKind.Instagram, message.Channel);
        Assert.Equal(IgAccountId, message.ChannelExternalId);
        Assert.Equal("ig_m_9", message.ExternalId);
        Assert.Equal(new CustomerRef(IdentityKind.Igsid, Igsid), message.Customer);
        Assert.Equal("hey", message.Text);
    }

    [Fact]
    public void Millisecond_timestamps_as_strings_are_accepted()
    {
        var body = $$$"""
            {"object":"page","entry":[{"id":"{{{PageId}}}","time":"1458692752478","messaging":[
              {"sender":{"id":"{{{Psid}}}"},"recipient":{"id":"{{{PageId}}}"},"timestamp":"1458692752478","message":{"mid":"m_s","text":"x"}}]}]}
            """;
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(body)));
        Assert.Equal(new DateTimeOffset(2016, 3, 23, 0, 25, 52, 478, TimeSpan.Zero), message.SentAt);
    }

    [Fact]
    public void Dashboard_test_delivery_as_a_change_with_seconds_is_accepted()
    {
        var body = """
            {"object":"instagram","entry":[{"id":"0","time":1527459824,"changes":[{"field":"messages","value":
              {"sender":{"id":"12334"},"recipient":{"id":"23245"},"timestamp":"1527459824","message":{"mid":"random_mid","text":"random_text"}}}]}]}
            """;
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(body)));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1527459824), message.SentAt);
        Assert.Equal("12334", message.Customer.Id);
    }

    [Fact]
    public void Quick_reply_is_a_button_message_keeping_its_payload()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(
            ParseMessenger("message", """{"mid":"m_q","text":"Mañana","quick_reply":{"payload":"DAY_TOMORROW"}}""")));

        Assert.Equal(MessageType.Button, message.Type);
        Assert.Equal("Mañana", message.Text);
        Assert.Equal("DAY_TOMORROW", PayloadOf(message.PayloadJson).GetProperty("quick_reply").GetProperty("payload").GetString());
    }

    [Fact]
    public void Reply_to_sets_the_replied_message()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(
            ParseMessenger("message", """{"mid":"m_2","text":"ese","reply_to":{"mid":"m_0"}}""")));
        Assert.Equal("m_0", message.ReplyToExternalId);
    }

    [Fact]
    public void Instagram_story_reply_keeps_the_story_in_the_payload()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(
            ParseInstagram("message", """{"mid":"ig_m_3","text":"🔥","reply_to":{"story":{"url":"https://cdn/story.mp4","id":"st1"}}}""")));

        Assert.Null(message.ReplyToExternalId);
        Assert.Equal("st1", PayloadOf(message.PayloadJson).GetProperty("reply_to").GetProperty("story").GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("image", MessageType.Image)]
    [InlineData("video", MessageType.Video)]
    [InlineData("audio", MessageType.Audio)]
    [InlineData("file", MessageType.Document)]
    public void Media_attachment_becomes_its_message_type_with_a_direct_url(string type, MessageType expected)
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(ParseMessenger("message",
            $$$"""{"mid":"m_a","attachments":[{"type":"{{{type}}}","payload":{"url":"https://cdn.example/{{{type}}}"}}]}""")));

        Assert.Equal(expected, message.Type);
        Assert.Equal("m_a", message.ExternalId);
        Assert.Equal(new MediaRef(null, $"https://cdn.example/{type}", null, null, null), message.Media);
        Assert.Equal($$$"""{"type":"{{{type}}}","{{{type}}}":{"url":"https://cdn.example/{{{type}}}"}}""", message.PayloadJson);
    }

    [Fact]
    public void Image_with_a_sticker_id_is_a_sticker()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(ParseMessenger("message",
            """{"mid":"m_st","sticker_id":369239263222822,"attachments":[{"type":"image","payload":{"url":"https://cdn/like.png","sticker_id":369239263222822}}]}""")));

        Assert.Equal(MessageType.Sticker, message.Type);
        Assert.Equal("https://cdn/like.png", message.Media?.Url);
    }

    [Fact]
    public void Location_attachment_keeps_coordinates_and_title()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(ParseMessenger("message",
            """{"mid":"m_loc","attachments":[{"type":"location","title":"Oficina","payload":{"coordinates":{"lat":19.43,"long":-99.13}}}]}""")));

        Assert.Equal(MessageType.Location, message.Type);
        Assert.Equal("Oficina", message.Text);
        Assert.Null(message.Media);
        var payload = PayloadOf(message.PayloadJson);
        Assert.Equal(19.43m, payload.GetProperty("location").GetProperty("coordinates").GetProperty("lat").GetDecimal());
        Assert.Equal("Oficina", payload.GetProperty("title").GetString());
    }

    [Fact]
    public void Shared_link_fallback_is_text_with_the_link()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(ParseMessenger("message",
            """{"mid":"m_fb","attachments":[{"type":"fallback","payload":{"url":"https://example.com/promo","title":"Promo"}}]}""")));

        Assert.Equal(MessageType.Text, message.Type);
        Assert.Equal("Promo", message.Text);
        Assert.Equal("https://example.com/promo", PayloadOf(message.PayloadJson).GetProperty("fallback").GetProperty("url").GetString());
    }

    [Fact]
    public void Several_attachments_become_one_message_each_with_suffixed_ids()
    {
        var events = ParseMessenger("message", """
            {"mid":"m_multi","text":"fotos","attachments":[
              {"type":"image","payload":{"url":"https://cdn/1.jpg"}},
              {"type":"image","payload":{"url":"https://cdn/2.jpg"}},
              {"type":"video","payload":{"url":"https://cdn/3.mp4"}}]}
            """);

        var messages = events.Cast<InboundMessage>().ToList();
        Assert.Equal(["m_multi", "m_multi#1", "m_multi#2"], messages.Select(m => m.ExternalId));
        Assert.Equal([MessageType.Image, MessageType.Image, MessageType.Video], messages.Select(m => m.Type));
        Assert.Equal(["https://cdn/1.jpg", "https://cdn/2.jpg", "https://cdn/3.mp4"], messages.Select(m => m.Media?.Url));
        Assert.Equal(["fotos", null, null], messages.Select(m => m.Text));
    }

    [Fact]
    public void Unknown_attachment_type_is_unsupported_with_the_raw_attachment()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(ParseInstagram("message",
            """{"mid":"ig_m_sm","attachments":[{"type":"story_mention","payload":{"url":"https://cdn/story"}}]}""")));

        Assert.Equal(MessageType.Unsupported, message.Type);
        Assert.Null(message.Media);
        Assert.Equal("""{"type":"story_mention","payload":{"url":"https://cdn/story"}}""", message.PayloadJson);
    }

    [Fact]
    public void Instagram_unsupported_message_is_stored_as_unsupported()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(ParseInstagram("message", """{"mid":"ig_m_u","is_unsupported":true}""")));
        Assert.Equal(MessageType.Unsupported, message.Type);
        Assert.True(PayloadOf(message.PayloadJson).GetProperty("is_unsupported").GetBoolean());
    }

    [Fact]
    public void Message_with_nothing_recognisable_is_unsupported_not_thrown()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(ParseMessenger("message", """{"mid":"m_x","hologram":{"frames":1}}""")));
        Assert.Equal(MessageType.Unsupported, message.Type);
        Assert.Equal(1, PayloadOf(message.PayloadJson).GetProperty("hologram").GetProperty("frames").GetInt32());
    }

    [Fact]
    public void Ad_referral_on_a_message_marks_it_from_an_ad()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(ParseMessenger("message",
            """{"mid":"m_ad","text":"info","referral":{"ref":"promo","ad_id":"ad-1","source":"ADS","type":"OPEN_THREAD"}}""")));

        Assert.True(message.FromAd);
        Assert.Equal("ad-1", PayloadOf(message.PayloadJson).GetProperty("referral").GetProperty("ad_id").GetString());
    }

    // ---- echoes, postbacks, receipts, reactions, deletions ---------------------------------------------------------

    [Fact]
    public void Echo_is_recorded_with_the_recipient_as_customer()
    {
        var echo = Assert.IsType<InboundEcho>(Assert.Single(Parse(MessengerEcho(mid: "m_e1", text: "te ayudo", appId: "263902037430900"))));

        Assert.Equal(ChannelKind.Messenger, echo.Channel);
        Assert.Equal(PageId, echo.ChannelExternalId);
        Assert.Equal("m_e1", echo.ExternalId);
        Assert.Equal(new CustomerRef(IdentityKind.Psid, Psid), echo.Customer);
        Assert.Equal(MessageType.Text, echo.Type);
        Assert.Equal("te ayudo", echo.Text);
        Assert.Equal(At, echo.SentAt);
        // app_id tells whether this system or another tool sent it.
        Assert.Equal(263902037430900, PayloadOf(echo.PayloadJson).GetProperty("app_id").GetInt64());
    }

    [Fact]
    public void Instagram_echo_of_an_image_names_the_igsid()
    {
        var echo = Assert.IsType<InboundEcho>(Assert.Single(ParseInstagram("message",
            """{"mid":"ig_e1","is_echo":true,"attachments":[{"type":"image","payload":{"url":"https://cdn/o.jpg"}}]}""",
            sender: IgAccountId, recipient: Igsid)));

        Assert.Equal(new CustomerRef(IdentityKind.Igsid, Igsid), echo.Customer);
        Assert.Equal(MessageType.Image, echo.Type);
    }

    [Fact]
    public void Echo_of_a_template_is_a_template()
    {
        var echo = Assert.IsType<InboundEcho>(Assert.Single(ParseMessenger("message",
            """{"mid":"m_t","is_echo":true,"app_id":1,"attachments":[{"type":"template","payload":{"template_type":"button","buttons":[]}}]}""",
            sender: PageId, recipient: Psid)));
        Assert.Equal(MessageType.Template, echo.Type);
    }

    [Fact]
    public void Postback_with_a_mid_is_a_button_message()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(
            ParseMessenger("postback", """{"mid":"m_pb","title":"Ver precios","payload":"PRICES"}""")));

        Assert.Equal("m_pb", message.ExternalId);
        Assert.Equal(MessageType.Button, message.Type);
        Assert.Equal("Ver precios", message.Text);
        Assert.Equal(new CustomerRef(IdentityKind.Psid, Psid), message.Customer);
        Assert.Equal("""{"type":"postback","postback":{"mid":"m_pb","title":"Ver precios","payload":"PRICES"}}""", message.PayloadJson);
    }

    [Fact]
    public void Messenger_postback_without_mid_gets_a_stable_id()
    {
        var first = Assert.IsType<InboundMessage>(Assert.Single(ParseMessenger("postback", """{"title":"Empezar","payload":"GET_STARTED"}""")));
        var retry = Assert.IsType<InboundMessage>(Assert.Single(ParseMessenger("postback", """{"title":"Empezar","payload":"GET_STARTED"}""")));
        var other = Assert.IsType<InboundMessage>(Assert.Single(ParseMessenger("postback", """{"title":"Empezar","payload":"GET_STARTED"}""", sender: "7000000000000002")));

        Assert.Equal(first.ExternalId, retry.ExternalId);
        Assert.NotEqual(first.ExternalId, other.ExternalId);
        Assert.Contains(Psid, first.ExternalId);
    }

    [Fact]
    public void Delivery_becomes_a_delivered_watermark_with_its_mids()
    {
        var watermark = Assert.IsType<InboundWatermark>(Assert.Single(
            ParseMessenger("delivery", """{"mids":["m_out1","m_out2"],"watermark":1458668856253}""")));

        Assert.Equal(DeliveryStatus.Delivered, watermark.Status);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1458668856253), watermark.Watermark);
        Assert.Equal(["m_out1", "m_out2"], watermark.MessageExternalIds);
        Assert.Equal(new CustomerRef(IdentityKind.Psid, Psid), watermark.Customer);
    }

    [Fact]
    public void Delivery_without_mids_has_only_the_watermark()
    {
        var watermark = Assert.IsType<InboundWatermark>(Assert.Single(ParseMessenger("delivery", """{"watermark":"1458668856253"}""")));
        Assert.Empty(watermark.MessageExternalIds);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1458668856253), watermark.Watermark);
    }

    [Fact]
    public void Messenger_read_becomes_a_read_watermark()
    {
        var watermark = Assert.IsType<InboundWatermark>(Assert.Single(ParseMessenger("read", """{"watermark":1458668856253}""")));

        Assert.Equal(ChannelKind.Messenger, watermark.Channel);
        Assert.Equal(DeliveryStatus.Read, watermark.Status);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1458668856253), watermark.Watermark);
        Assert.Empty(watermark.MessageExternalIds);
    }

    [Fact]
    public void Instagram_read_names_the_message_and_uses_the_event_time()
    {
        var watermark = Assert.IsType<InboundWatermark>(Assert.Single(ParseInstagram("read", """{"mid":"ig_out_1"}""")));

        Assert.Equal(ChannelKind.Instagram, watermark.Channel);
        Assert.Equal(DeliveryStatus.Read, watermark.Status);
        Assert.Equal(At, watermark.Watermark);
        Assert.Equal(["ig_out_1"], watermark.MessageExternalIds);
        Assert.Equal(new CustomerRef(IdentityKind.Igsid, Igsid), watermark.Customer);
    }

    [Fact]
    public void Reaction_becomes_a_reaction_event()
    {
        var reaction = Assert.IsType<InboundReaction>(Assert.Single(
            ParseInstagram("reaction", """{"mid":"ig_out_2","action":"react","reaction":"love","emoji":"❤️"}""")));

        Assert.Equal("ig_out_2", reaction.TargetExternalId);
        Assert.Equal("❤️", reaction.Emoji);
        Assert.Equal(At, reaction.At);
        Assert.Equal(new CustomerRef(IdentityKind.Igsid, Igsid), reaction.Customer);
        Assert.False(string.IsNullOrEmpty(reaction.ExternalId));
    }

    [Fact]
    public void Unreact_removes_the_reaction()
    {
        var reaction = Assert.IsType<InboundReaction>(Assert.Single(
            ParseMessenger("reaction", """{"mid":"m_out_3","action":"unreact","reaction":"love","emoji":"❤️"}""")));
        Assert.Null(reaction.Emoji);
        Assert.Equal("m_out_3", reaction.TargetExternalId);
    }

    [Fact]
    public void Instagram_deletion_names_the_unsent_message()
    {
        var deletion = Assert.IsType<InboundDeletion>(Assert.Single(ParseInstagram("message", """{"mid":"ig_m_del","is_deleted":true}""")));

        Assert.Equal(ChannelKind.Instagram, deletion.Channel);
        Assert.Equal(IgAccountId, deletion.ChannelExternalId);
        Assert.Equal("ig_m_del", deletion.MessageExternalId);
        Assert.Equal(new CustomerRef(IdentityKind.Igsid, Igsid), deletion.Customer);
        Assert.Equal(At, deletion.At);
    }

    [Theory]
    [InlineData("optin", """{"ref":"x","user_ref":"u"}""")]
    [InlineData("account_linking", """{"status":"linked"}""")]
    [InlineData("message_edit", """{"mid":"m_1","text":"edited","num_edit":1}""")]
    [InlineData("pass_thread_control", """{"new_owner_app_id":"1"}""")]
    public void Unknown_messaging_items_are_skipped(string key, string json) => Assert.Empty(ParseMessenger(key, json));

    // ---- batches and envelope ----------------------------------------------------------------------------------

    [Fact]
    public void Batch_with_two_pages_yields_events_for_both()
    {
        const string otherPage = "104857600000002";
        var body = new JsonObject
        {
            ["object"] = "page",
            ["entry"] = new JsonArray(
                MetaEntry(PageId,
                    MetaItem(Psid, PageId, TimestampMs, "message", JsonNode.Parse("""{"mid":"m_a","text":"a"}""")!),
                    MetaItem(Psid, PageId, TimestampMs + 1, "read", JsonNode.Parse("""{"watermark":1458692752000}""")!)),
                MetaEntry(otherPage,
                    MetaItem("7000000000000009", otherPage, TimestampMs, "postback", JsonNode.Parse("""{"title":"Hola","payload":"HI"}""")!),
                    MetaItem(otherPage, "7000000000000009", TimestampMs, "message", JsonNode.Parse("""{"mid":"m_e","is_echo":true,"text":"hi"}""")!))),
        }.ToJsonString();

        var events = Parse(body);

        Assert.Equal([PageId, PageId, otherPage, otherPage], events.Select(e => e.ChannelExternalId));
        Assert.IsType<InboundMessage>(events[0]);
        Assert.IsType<InboundWatermark>(events[1]);
        Assert.IsType<InboundMessage>(events[2]);
        Assert.IsType<InboundEcho>(events[3]);
    }

    [Fact]
    public void Bad_items_in_a_batch_do_not_lose_the_others()
    {
        var noTimestamp = MetaItem(Psid, PageId, TimestampMs, "message", JsonNode.Parse("""{"mid":"m_nt","text":"x"}""")!);
        noTimestamp.Remove("timestamp");
        var noSender = MetaItem(Psid, PageId, TimestampMs, "message", JsonNode.Parse("""{"mid":"m_ns","text":"x"}""")!);
        noSender.Remove("sender");
        var noMid = MetaItem(Psid, PageId, TimestampMs, "message", JsonNode.Parse("""{"text":"x"}""")!);
        var weirdShape = MetaItem(Psid, PageId, TimestampMs, "message", JsonNode.Parse("""{"mid":"m_w","attachments":"oops","text":"still text"}""")!);
        var good = MetaItem(Psid, PageId, TimestampMs, "message", JsonNode.Parse("""{"mid":"m_ok","text":"ok"}""")!);
        var body = new JsonObject
        {
            ["object"] = "page",
            ["entry"] = new JsonArray(
                new JsonObject { ["messaging"] = new JsonArray(MetaItem(Psid, PageId, TimestampMs, "message", JsonNode.Parse("""{"mid":"m_noentry","text":"x"}""")!)) },
                MetaEntry(PageId, noTimestamp, noSender, noMid, weirdShape, good)),
        }.ToJsonString();

        var events = Parse(body);

        Assert.Equal(["m_w", "m_ok"], events.Cast<InboundMessage>().Select(m => m.ExternalId));
    }

    [Theory]
    [InlineData("""{"object":"whatsapp_business_account","entry":[]}""")]
    [InlineData("""{"object":"user","entry":[]}""")]
    [InlineData("""{"entry":[]}""")]
    public void Wrong_object_is_a_format_error(string body)
    {
        var ex = Assert.Throws<WebhookFormatException>(() => Parse(body));
        Assert.Contains("'page' or 'instagram'", ex.Message);
    }

    [Theory]
    [InlineData("""{"object":"page","entry":[""")]
    [InlineData("<html>")]
    [InlineData("")]
    public void Malformed_json_is_a_format_error(string body) => Assert.Throws<WebhookFormatException>(() => Parse(body));

    [Fact]
    public void Missing_entry_array_is_a_format_error() => Assert.Throws<WebhookFormatException>(() => Parse("""{"object":"instagram"}"""));

    [Fact]
    public void Builders_make_deliveries_the_parser_reads()
    {
        var messenger = Assert.IsType<InboundMessage>(Assert.Single(Parse(MessengerText("p9", "psid9", "m_9", "uno", 1700000000123))));
        Assert.Equal(("p9", "psid9", "m_9", "uno"), (messenger.ChannelExternalId, messenger.Customer.Id, messenger.ExternalId, messenger.Text));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1700000000123), messenger.SentAt);

        var instagram = Assert.IsType<InboundMessage>(Assert.Single(Parse(InstagramText("ig9", "igsid9", "ig_9", "dos", 1700000000456))));
        Assert.Equal((ChannelKind.Instagram, "ig9", "igsid9"), (instagram.Channel, instagram.ChannelExternalId, instagram.Customer.Id));

        var echo = Assert.IsType<InboundEcho>(Assert.Single(Parse(MessengerEcho("p9", "psid9", "m_e9", "tres", 1700000000789, "42"))));
        Assert.Equal(("p9", "psid9", "m_e9", "tres"), (echo.ChannelExternalId, echo.Customer.Id, echo.ExternalId, echo.Text));
    }
}
