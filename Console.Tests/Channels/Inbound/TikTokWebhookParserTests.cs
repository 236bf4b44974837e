using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Inbound;
using static OperatorConsole.Tests.Channels.Inbound.InboundPayloads;

namespace OperatorConsole.Tests.Channels.Inbound;

public class TikTokWebhookParserTests
{
    private static IReadOnlyList<InboundEvent> Parse(string json) => TikTokWebhookParser.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Text_message_is_an_inbound_message_with_its_conversation()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(TikTokText(messageId: "tt_m1", text: "Hola", conversationId: "conv-7"))));

        Assert.Equal(ChannelKind.TikTok, message.Channel);
        Assert.Equal(TikTokBusinessId, message.ChannelExternalId);
        Assert.Equal("tt_m1", message.ExternalId);
        Assert.Equal(new CustomerRef(IdentityKind.OpenId, TikTokOpenId), message.Customer);
        Assert.Equal(MessageType.Text, message.Type);
        Assert.Equal("Hola", message.Text);
        Assert.Equal("conv-7", message.ChannelConversationId);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(TimestampMs), message.SentAt);
        Assert.Equal("""{"type":"text","text":{"body":"Hola"}}""", message.PayloadJson);
    }

    [Fact]
    public void Echo_names_the_recipient_as_customer()
    {
        var echo = Assert.IsType<InboundEcho>(Assert.Single(Parse(TikTokEcho(messageId: "tt_out1", text: "Gracias"))));

        Assert.Equal(ChannelKind.TikTok, echo.Channel);
        Assert.Equal(TikTokBusinessId, echo.ChannelExternalId);
        Assert.Equal("tt_out1", echo.ExternalId);
        Assert.Equal(new CustomerRef(IdentityKind.OpenId, TikTokOpenId), echo.Customer);
        Assert.Equal("Gracias", echo.Text);
        Assert.Equal("conv-1", echo.ChannelConversationId);
    }

    [Fact]
    public void Mark_read_by_the_customer_is_a_read_watermark()
    {
        var content = new JsonObject
        {
            ["conversation_id"] = "conv-1",
            ["message_id"] = "tt_out1",
            ["timestamp"] = TimestampMs,
            ["from_user"] = new JsonObject { ["id"] = TikTokOpenId },
            ["to_user"] = new JsonObject { ["id"] = TikTokBusinessId },
        };
        var watermark = Assert.IsType<InboundWatermark>(Assert.Single(Parse(TikTokEvent("im_mark_read_msg", content))));

        Assert.Equal(DeliveryStatus.Read, watermark.Status);
        Assert.Equal(TikTokBusinessId, watermark.ChannelExternalId);
        Assert.Equal(new CustomerRef(IdentityKind.OpenId, TikTokOpenId), watermark.Customer);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(TimestampMs), watermark.Watermark);
        Assert.Equal(["tt_out1"], watermark.MessageExternalIds);
    }

    [Fact]
    public void Mark_read_by_the_business_itself_is_ignored()
    {
        var content = new JsonObject
        {
            ["conversation_id"] = "conv-1",
            ["timestamp"] = TimestampMs,
            ["from_user"] = new JsonObject { ["id"] = TikTokBusinessId },
            ["to_user"] = new JsonObject { ["id"] = TikTokOpenId },
        };
        Assert.Empty(Parse(TikTokEvent("im_mark_read_msg", content, userOpenId: TikTokBusinessId)));
    }

    [Theory]
    [InlineData("image", """{"url":"https://tiktok.cdn/i.jpg","width":100}""")]
    [InlineData("share_post", """{"item_id":"7300000000000000000"}""")]
    [InlineData("sticker", null)]
    public void Non_text_content_is_unsupported_with_the_whole_content(string type, string? typeJson)
    {
        var content = TikTokContent(type, typeJson is null ? null : JsonNode.Parse(typeJson), "tt_m2", TikTokOpenId, TikTokBusinessId);
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(TikTokEvent("im_receive_msg", content))));

        Assert.Equal(MessageType.Unsupported, message.Type);
        Assert.Null(message.Text);
        var payload = JsonDocument.Parse(message.PayloadJson!).RootElement;
        Assert.Equal(type, payload.GetProperty("type").GetString());
        Assert.Equal("tt_m2", payload.GetProperty("message_id").GetString());
    }

    [Theory]
    [InlineData("authorization.removed")]
    [InlineData("im_some_future_event")]
    public void Unknown_event_yields_nothing(string eventName) =>
        Assert.Empty(Parse(TikTokEvent(eventName, new JsonObject { ["anything"] = 1 })));

    [Fact]
    public void Unknown_event_with_unreadable_content_still_yields_nothing()
    {
        var body = """{"client_key":"k","event":"video.publish.complete","create_time":1,"user_openid":"u","content":"not json"}""";
        Assert.Empty(Parse(body));
    }

    [Fact]
    public void Content_already_nested_as_an_object_is_accepted()
    {
        var body = new JsonObject
        {
            ["client_key"] = "k",
            ["event"] = "im_receive_msg",
            ["create_time"] = 1458692752,
            ["user_openid"] = TikTokBusinessId,
            ["content"] = TikTokContent("text", new JsonObject { ["body"] = "hi" }, "tt_obj", TikTokOpenId, TikTokBusinessId),
        }.ToJsonString();

        Assert.Equal("hi", Assert.IsType<InboundMessage>(Assert.Single(Parse(body))).Text);
    }

    [Fact]
    public void Missing_content_timestamp_falls_back_to_create_time()
    {
        var content = TikTokContent("text", new JsonObject { ["body"] = "hi" }, "tt_ct", TikTokOpenId, TikTokBusinessId);
        content.Remove("timestamp");
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(TikTokEvent("im_receive_msg", content, createTime: 1700000000))));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), message.SentAt);
    }

    [Fact]
    public void Millisecond_timestamp_as_a_string_is_accepted()
    {
        var content = TikTokContent("text", new JsonObject { ["body"] = "hi" }, "tt_s", TikTokOpenId, TikTokBusinessId);
        content["timestamp"] = "1700000000123";
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(TikTokEvent("im_receive_msg", content))));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1700000000123), message.SentAt);
    }

    [Fact]
    public void Missing_business_in_content_falls_back_to_the_authorised_account()
    {
        var content = TikTokContent("text", new JsonObject { ["body"] = "hi" }, "tt_nb", TikTokOpenId, TikTokBusinessId);
        content.Remove("to_user");
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(TikTokEvent("im_receive_msg", content, userOpenId: "biz-from-envelope"))));
        Assert.Equal("biz-from-envelope", message.ChannelExternalId);
    }

    [Theory]
    [InlineData("message_id")]
    [InlineData("from_user")]
    public void Message_without_its_ids_is_a_format_error(string missing)
    {
        var content = TikTokContent("text", new JsonObject { ["body"] = "hi" }, "tt_x", TikTokOpenId, TikTokBusinessId);
        content.Remove(missing);
        Assert.Throws<WebhookFormatException>(() => Parse(TikTokEvent("im_receive_msg", content)));
    }

    [Theory]
    [InlineData("""{"client_key":"k","event":"im_receive_msg","content":"{not json"}""")]
    [InlineData("""{"client_key":"k","event":"im_receive_msg","content":"[1,2]"}""")]
    [InlineData("""{"client_key":"k","event":"im_receive_msg"}""")]
    [InlineData("""{"client_key":"k","event":"im_receive_msg","content":42}""")]
    public void Unreadable_content_is_a_format_error(string body)
    {
        var ex = Assert.Throws<WebhookFormatException>(() => Parse(body));
        Assert.Contains("content", ex.Message);
    }

    [Theory]
    [InlineData("""{"client_key":"k","content":"{}"}""")]
    [InlineData("""{"event":42,"content":"{}"}""")]
    public void Missing_event_name_is_a_format_error(string body) => Assert.Throws<WebhookFormatException>(() => Parse(body));

    [Theory]
    [InlineData("""{"event":"im_receive_msg",""")]
    [InlineData("[]")]
    [InlineData("")]
    public void Malformed_json_is_a_format_error(string body) => Assert.Throws<WebhookFormatException>(() => Parse(body));

    [Fact]
    public void Builders_make_deliveries_the_parser_reads()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(TikTokText("biz-9", "open-9", "tt_9", "¿hay envío?", 1700000000999, "conv-9"))));
        Assert.Equal(("biz-9", "open-9", "tt_9", "¿hay envío?", "conv-9"),
            (message.ChannelExternalId, message.Customer.Id, message.ExternalId, message.Text, message.ChannelConversationId));

        var echo = Assert.IsType<InboundEcho>(Assert.Single(Parse(TikTokEcho("biz-9", "open-9", "tt_o9", "sí", 1700000001000, "conv-9"))));
        Assert.Equal(("biz-9", "open-9", "tt_o9"), (echo.ChannelExternalId, echo.Customer.Id, echo.ExternalId));
    }
}
