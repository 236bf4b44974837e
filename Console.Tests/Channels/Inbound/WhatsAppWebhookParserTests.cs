using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Inbound;
using static OperatorConsole.Tests.Channels.Inbound.InboundPayloads;

namespace OperatorConsole.Tests.Channels.Inbound;

public class WhatsAppWebhookParserTests
{
    private static readonly DateTimeOffset SentAt = DateTimeOffset.FromUnixTimeSeconds(Timestamp);

    private static IReadOnlyList<InboundEvent> Parse(string json) => WhatsAppWebhookParser.Parse(Encoding.UTF8.GetBytes(json));

    /// <summary>Parses a delivery holding one message and returns it.</summary>
    private static T ParseOne<T>(JsonObject message, params JsonNode[] contacts) where T : InboundEvent
    {
        var value = WhatsAppValue(contacts: contacts.Length == 0 ? [WhatsAppContact()] : contacts, messages: [message]);
        return Assert.IsType<T>(Assert.Single(Parse(WhatsAppDelivery(value))));
    }

    private static JsonElement PayloadOf(InboundMessage message)
    {
        Assert.NotNull(message.PayloadJson);
        return JsonDocument.Parse(message.PayloadJson).RootElement;
    }

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    // ---- messages ----------------------------------------------------------------------------------------------

    [Fact]
    public void Text_message_becomes_an_inbound_message_for_its_phone_number()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(WhatsAppText(text: "hola"))));

        Assert.Equal(ChannelKind.WhatsApp, message.Channel);
        Assert.Equal(PhoneNumberId, message.ChannelExternalId);
        Assert.Equal("wamid.A1", message.ExternalId);
        Assert.Equal(MessageType.Text, message.Type);
        Assert.Equal("hola", message.Text);
        Assert.Equal(new CustomerRef(IdentityKind.WaId, WaId, "Ana"), message.Customer);
        Assert.Null(message.ReplyToExternalId);
        Assert.False(message.FromAd);
        Assert.Null(message.Media);
        Assert.Null(message.ChannelConversationId);
    }

    [Fact]
    public void Timestamps_are_epoch_seconds_strings()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(WhatsAppText(timestamp: 1749416383))));
        Assert.Equal(new DateTimeOffset(2025, 6, 8, 20, 59, 43, TimeSpan.Zero), message.SentAt);
    }

    [Fact]
    public void Numeric_timestamps_are_accepted_too()
    {
        var item = WhatsAppMessage("text", Obj("""{"body":"hi"}"""));
        item["timestamp"] = Timestamp;
        Assert.Equal(SentAt, ParseOne<InboundMessage>(item).SentAt);
    }

    [Fact]
    public void Payload_is_the_type_object_under_its_wire_type_written_compactly()
    {
        const string pretty = """
            {
              "object": "whatsapp_business_account",
              "entry": [ { "id": "1", "changes": [ { "field": "messages", "value": {
                "metadata": { "phone_number_id": "106540352242922" },
                "contacts": [ { "profile": { "name": "Ana" }, "wa_id": "5215512345678" } ],
                "messages": [ { "from": "5215512345678", "id": "wamid.A1", "timestamp": "1749416383", "type": "text",
                                "text": { "body": "hola" } } ] } } ] } ]
            }
            """;
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(pretty)));
        Assert.Equal("""{"type":"text","text":{"body":"hola"}}""", message.PayloadJson);
    }

    [Fact]
    public void Escaped_unicode_in_the_body_is_decoded()
    {
        var body = """{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"from":"52","id":"wamid.U","timestamp":"1749416383","type":"text","text":{"body":"Espa\u00f1ol \ud83d\ude00"}}]}}]}]}""";
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(body)));
        Assert.Equal("Español 😀", message.Text);
        Assert.Contains("Español", message.PayloadJson);
    }

    [Fact]
    public void Bsuid_is_the_identity_when_both_arrive()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(WhatsAppText(waId: WaId, userId: Bsuid, profileName: "Ana"))));

        Assert.Equal(IdentityKind.Bsuid, message.Customer.Kind);
        Assert.Equal(Bsuid, message.Customer.Id);
        Assert.Equal("Ana", message.Customer.ProfileName);
        Assert.Equal(new CustomerAlias(IdentityKind.WaId, WaId), message.Customer.AlsoKnownAs);
    }

    [Fact]
    public void Bsuid_from_the_contact_is_used_when_the_message_only_has_from()
    {
        var item = WhatsAppMessage("text", Obj("""{"body":"hola"}"""), from: WaId);
        var message = ParseOne<InboundMessage>(item, WhatsAppContact(WaId, Bsuid, "Ana"));

        Assert.Equal(new CustomerRef(IdentityKind.Bsuid, Bsuid, "Ana", new CustomerAlias(IdentityKind.WaId, WaId)), message.Customer);
    }

    [Fact]
    public void Customer_with_a_username_and_no_phone_is_identified_by_bsuid_alone()
    {
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(WhatsAppText(waId: null, userId: Bsuid, profileName: "ana.design"))));

        Assert.Equal(new CustomerRef(IdentityKind.Bsuid, Bsuid, "ana.design"), message.Customer);
        Assert.Null(message.Customer.AlsoKnownAs);
    }

    [Fact]
    public void Profile_name_is_matched_to_the_sender_among_several_contacts()
    {
        var value = WhatsAppValue(
            contacts: [WhatsAppContact("5215500000001", null, "Beto"), WhatsAppContact(null, "MX.2", "Carla"), WhatsAppContact(WaId, null, "Ana")],
            messages:
            [
                WhatsAppMessage("text", Obj("""{"body":"1"}"""), "wamid.1", from: WaId),
                WhatsAppMessage("text", Obj("""{"body":"2"}"""), "wamid.2", from: null, fromUserId: "MX.2"),
                WhatsAppMessage("text", Obj("""{"body":"3"}"""), "wamid.3", from: "5215500000001"),
            ]);

        var names = Parse(WhatsAppDelivery(value)).Cast<InboundMessage>().Select(m => m.Customer.ProfileName).ToList();

        Assert.Equal(["Ana", "Carla", "Beto"], names);
    }

    [Fact]
    public void Sender_without_a_contact_entry_still_arrives_without_a_name()
    {
        var value = WhatsAppValue(messages: [WhatsAppMessage("text", Obj("""{"body":"hola"}"""))]);
        var message = Assert.IsType<InboundMessage>(Assert.Single(Parse(WhatsAppDelivery(value))));
        Assert.Equal(new CustomerRef(IdentityKind.WaId, WaId), message.Customer);
    }

    [Theory]
    [InlineData("image", MessageType.Image)]
    [InlineData("video", MessageType.Video)]
    [InlineData("audio", MessageType.Audio)]
    [InlineData("sticker", MessageType.Sticker)]
    public void Media_message_carries_its_media_id_mime_type_and_hash(string type, MessageType expected)
    {
        var media = Obj("""{"id":"1046391797","mime_type":"image/jpeg","sha256":"hP1k2XJ8="}""");
        var message = ParseOne<InboundMessage>(WhatsAppMessage(type, media));

        Assert.Equal(expected, message.Type);
        Assert.Equal(new MediaRef("1046391797", null, "image/jpeg", "hP1k2XJ8=", null), message.Media);
        Assert.Equal("1046391797", PayloadOf(message).GetProperty(type).GetProperty("id").GetString());
        Assert.Equal(type, PayloadOf(message).GetProperty("type").GetString());
    }

    [Fact]
    public void Image_caption_is_the_text()
    {
        var message = ParseOne<InboundMessage>(WhatsAppMessage("image", Obj("""{"id":"m1","mime_type":"image/png","sha256":"x","caption":"mi recibo"}""")));
        Assert.Equal("mi recibo", message.Text);
    }

    [Fact]
    public void Document_keeps_its_file_name()
    {
        var message = ParseOne<InboundMessage>(WhatsAppMessage("document",
            Obj("""{"id":"d1","mime_type":"application/pdf","sha256":"abc","filename":"factura.pdf","caption":"la factura"}""")));

        Assert.Equal(MessageType.Document, message.Type);
        Assert.Equal(new MediaRef("d1", null, "application/pdf", "abc", "factura.pdf"), message.Media);
        Assert.Equal("la factura", message.Text);
    }

    [Fact]
    public void Voice_note_flag_stays_in_the_audio_payload()
    {
        var message = ParseOne<InboundMessage>(WhatsAppMessage("audio", Obj("""{"id":"a1","mime_type":"audio/ogg; codecs=opus","sha256":"s","voice":true}""")));
        Assert.True(PayloadOf(message).GetProperty("audio").GetProperty("voice").GetBoolean());
    }

    [Fact]
    public void Animated_sticker_flag_stays_in_the_payload()
    {
        var message = ParseOne<InboundMessage>(WhatsAppMessage("sticker", Obj("""{"id":"s1","mime_type":"image/webp","sha256":"s","animated":true}""")));
        Assert.Equal(MessageType.Sticker, message.Type);
        Assert.True(PayloadOf(message).GetProperty("sticker").GetProperty("animated").GetBoolean());
    }

    [Fact]
    public void Location_with_numeric_coordinates_keeps_name_as_text()
    {
        var message = ParseOne<InboundMessage>(WhatsAppMessage("location",
            Obj("""{"latitude":19.4326077,"longitude":-99.133208,"name":"Zócalo","address":"Centro, CDMX"}""")));

        Assert.Equal(MessageType.Location, message.Type);
        Assert.Equal("Zócalo", message.Text);
        var location = PayloadOf(message).GetProperty("location");
        Assert.Equal(19.4326077m, location.GetProperty("latitude").GetDecimal());
        Assert.Equal(-99.133208m, location.GetProperty("longitude").GetDecimal());
        Assert.Equal("Centro, CDMX", location.GetProperty("address").GetString());
    }

    [Fact]
    public void Location_with_numeric_string_coordinates_is_stored_as_numbers()
    {
        var message = ParseOne<InboundMessage>(WhatsAppMessage("location", Obj("""{"latitude":"19.4326077","longitude":"-99.133208"}""")));

        var location = PayloadOf(message).GetProperty("location");
        Assert.Equal(JsonValueKind.Number, location.GetProperty("latitude").ValueKind);
        Assert.Equal(19.4326077m, location.GetProperty("latitude").GetDecimal());
        Assert.Equal(-99.133208m, location.GetProperty("longitude").GetDecimal());
        Assert.Null(message.Text);
    }

    [Fact]
    public void Location_with_only_an_address_uses_it_as_text()
    {
        var message = ParseOne<InboundMessage>(WhatsAppMessage("location", Obj("""{"latitude":1,"longitude":2,"address":"Av. Reforma 1"}""")));
        Assert.Equal("Av. Reforma 1", message.Text);
    }

    [Fact]
    public void Contacts_message_lists_the_formatted_names_as_text_and_keeps_the_vcards()
    {
        var cards = JsonNode.Parse("""
            [{"name":{"formatted_name":"Luis Pérez","first_name":"Luis"},"phones":[{"phone":"+52 55 1111 2222","wa_id":"5215511112222","type":"CELL"}],
              "emails":[{"email":"luis@example.com","type":"WORK"}],"org":{"company":"ACME"}},
             {"name":{"formatted_name":"María"},"phones":[{"phone":"+52 55 3333 4444","type":"HOME"}]}]
            """);
        var message = ParseOne<InboundMessage>(WhatsAppMessage("contacts", cards));

        Assert.Equal(MessageType.Contacts, message.Type);
        Assert.Equal("Luis Pérez, María", message.Text);
        var stored = PayloadOf(message).GetProperty("contacts");
        Assert.Equal(2, stored.GetArrayLength());
        Assert.Equal("5215511112222", stored[0].GetProperty("phones")[0].GetProperty("wa_id").GetString());
    }

    [Fact]
    public void Button_reply_is_interactive_with_the_button_title_as_text()
    {
        var message = ParseOne<InboundMessage>(WhatsAppMessage("interactive",
            Obj("""{"type":"button_reply","button_reply":{"id":"b_yes","title":"Sí"}}""")));

        Assert.Equal(MessageType.Interactive, message.Type);
        Assert.Equal("Sí", message.Text);
        Assert.Equal("b_yes", PayloadOf(message).GetProperty("interactive").GetProperty("button_reply").GetProperty("id").GetString());
    }

    [Fact]
    public void List_reply_is_interactive_with_the_row_title_as_text()
    {
        var message = ParseOne<InboundMessage>(WhatsAppMessage("interactive",
            Obj("""{"type":"list_reply","list_reply":{"id":"r_10","title":"10:00","description":"Sucursal centro"}}""")));

        Assert.Equal(MessageType.Interactive, message.Type);
        Assert.Equal("10:00", message.Text);
        var reply = PayloadOf(message).GetProperty("interactive").GetProperty("list_reply");
        Assert.Equal("r_10", reply.GetProperty("id").GetString());
        Assert.Equal("Sucursal centro", reply.GetProperty("description").GetString());
    }

    [Fact]
    public void Nfm_reply_response_json_string_is_kept_as_parsed_json()
    {
        var interactive = new JsonObject
        {
            ["type"] = "nfm_reply",
            ["nfm_reply"] = new JsonObject
            {
                ["name"] = "flow",
                ["body"] = "Sent",
                ["response_json"] = """{"flow_token":"tok-1","date":"2025-06-09","people":3}""",
            },
        };
        var message = ParseOne<InboundMessage>(WhatsAppMessage("interactive", interactive));

        Assert.Equal(MessageType.Interactive, message.Type);
        Assert.Equal("Sent", message.Text);
        var response = PayloadOf(message).GetProperty("interactive").GetProperty("nfm_reply").GetProperty("response_json");
        Assert.Equal(JsonValueKind.Object, response.ValueKind);
        Assert.Equal("tok-1", response.GetProperty("flow_token").GetString());
        Assert.Equal(3, response.GetProperty("people").GetInt32());
    }

    [Fact]
    public void Nfm_reply_with_invalid_response_json_keeps_the_string()
    {
        var message = ParseOne<InboundMessage>(WhatsAppMessage("interactive",
            Obj("""{"type":"nfm_reply","nfm_reply":{"name":"flow","body":"Sent","response_json":"{not json"}}""")));

        var response = PayloadOf(message).GetProperty("interactive").GetProperty("nfm_reply").GetProperty("response_json");
        Assert.Equal("{not json", response.GetString());
    }

    [Fact]
    public void Template_quick_reply_is_a_button_message_with_its_text()
    {
        var message = ParseOne<InboundMessage>(WhatsAppMessage("button", Obj("""{"payload":"CONFIRM_APPT","text":"Confirmar"}""")));

        Assert.Equal(MessageType.Button, message.Type);
        Assert.Equal("Confirmar", message.Text);
        Assert.Equal("CONFIRM_APPT", PayloadOf(message).GetProperty("button").GetProperty("payload").GetString());
    }

    [Fact]
    public void Reaction_becomes_a_reaction_event_on_the_target_message()
    {
        var reaction = ParseOne<InboundReaction>(WhatsAppMessage("reaction", Obj("""{"message_id":"wamid.OUT7","emoji":"👍"}"""), "wamid.R1"));

        Assert.Equal("wamid.R1", reaction.ExternalId);
        Assert.Equal("wamid.OUT7", reaction.TargetExternalId);
        Assert.Equal("👍", reaction.Emoji);
        Assert.Equal(SentAt, reaction.At);
        Assert.Equal(PhoneNumberId, reaction.ChannelExternalId);
        Assert.Equal(WaId, reaction.Customer.Id);
    }

    [Theory]
    [InlineData("""{"message_id":"wamid.OUT7","emoji":""}""")]
    [InlineData("""{"message_id":"wamid.OUT7"}""")]
    public void Reaction_with_empty_or_missing_emoji_is_a_removal(string reactionJson)
    {
        var reaction = ParseOne<InboundReaction>(WhatsAppMessage("reaction", Obj(reactionJson)));
        Assert.Null(reaction.Emoji);
        Assert.Equal("wamid.OUT7", reaction.TargetExternalId);
    }

    [Fact]
    public void Order_message_keeps_catalog_and_product_items()
    {
        var message = ParseOne<InboundMessage>(WhatsAppMessage("order", Obj("""
            {"catalog_id":"cat-9","text":"Lo quiero para hoy","product_items":[
              {"product_retailer_id":"sku-1","quantity":2,"item_price":150.5,"currency":"MXN"},
              {"product_retailer_id":"sku-2","quantity":"1","item_price":"99","currency":"MXN"}]}
            """)));

        Assert.Equal(MessageType.Order, message.Type);
        Assert.Equal("Lo quiero para hoy", message.Text);
        var order = PayloadOf(message).GetProperty("order");
        Assert.Equal("cat-9", order.GetProperty("catalog_id").GetString());
        Assert.Equal(2, order.GetProperty("product_items").GetArrayLength());
    }

    [Theory]
    [InlineData("user_changed_number")]
    [InlineData("customer_identity_changed")]
    [InlineData("some_future_system_event")]
    public void System_message_keeps_its_body_whatever_its_kind(string kind)
    {
        var system = new JsonObject { ["body"] = "Ana changed from 5215512345678 to 5215587654321", ["type"] = kind, ["wa_id"] = "5215587654321" };
        var message = ParseOne<InboundMessage>(WhatsAppMessage("system", system));

        Assert.Equal(MessageType.System, message.Type);
        Assert.Equal("Ana changed from 5215512345678 to 5215587654321", message.Text);
        Assert.Equal("5215587654321", PayloadOf(message).GetProperty("system").GetProperty("wa_id").GetString());
    }

    [Fact]
    public void Unsupported_message_keeps_its_errors_in_the_payload()
    {
        var item = WhatsAppMessage("unsupported", Obj("""{"type":"poll"}"""));
        item["errors"] = JsonNode.Parse("""[{"code":131051,"title":"Message type unknown","message":"Message type unknown","error_data":{"details":"Message type is currently not supported."}}]""");
        var message = ParseOne<InboundMessage>(item);

        Assert.Equal(MessageType.Unsupported, message.Type);
        Assert.Null(message.Text);
        var payload = PayloadOf(message);
        Assert.Equal("poll", payload.GetProperty("unsupported").GetProperty("type").GetString());
        Assert.Equal(131051, payload.GetProperty("errors")[0].GetProperty("code").GetInt32());
    }

    [Fact]
    public void Unknown_type_is_stored_as_unsupported_not_thrown()
    {
        var item = WhatsAppMessage("hologram", Obj("""{"frames":42}"""), "wamid.H1");
        var message = ParseOne<InboundMessage>(item);

        Assert.Equal(MessageType.Unsupported, message.Type);
        Assert.Equal("wamid.H1", message.ExternalId);
        // The whole raw message is kept so a later version can render it.
        var payload = PayloadOf(message);
        Assert.Equal("hologram", payload.GetProperty("type").GetString());
        Assert.Equal(42, payload.GetProperty("hologram").GetProperty("frames").GetInt32());
        Assert.Equal("wamid.H1", payload.GetProperty("id").GetString());
    }

    [Fact]
    public void Known_type_without_its_object_is_stored_as_unsupported()
    {
        var message = ParseOne<InboundMessage>(WhatsAppMessage("image", null, "wamid.I0"));
        Assert.Equal(MessageType.Unsupported, message.Type);
        Assert.Null(message.Media);
        Assert.Equal("wamid.I0", PayloadOf(message).GetProperty("id").GetString());
    }

    [Fact]
    public void Reaction_without_a_target_is_stored_as_unsupported()
    {
        var message = ParseOne<InboundMessage>(WhatsAppMessage("reaction", Obj("""{"emoji":"👍"}""")));
        Assert.Equal(MessageType.Unsupported, message.Type);
    }

    // ---- extras on any message ---------------------------------------------------------------------------------

    [Fact]
    public void Reply_context_sets_the_replied_message()
    {
        var item = WhatsAppMessage("text", Obj("""{"body":"ese"}"""));
        item["context"] = Obj("""{"from":"15550783881","id":"wamid.OUT3"}""");
        var message = ParseOne<InboundMessage>(item);

        Assert.Equal("wamid.OUT3", message.ReplyToExternalId);
        Assert.Equal("wamid.OUT3", PayloadOf(message).GetProperty("context").GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("forwarded")]
    [InlineData("frequently_forwarded")]
    public void Forwarded_flags_are_kept_in_the_payload(string flag)
    {
        var item = WhatsAppMessage("image", Obj("""{"id":"m","mime_type":"image/jpeg","sha256":"s"}"""));
        item["context"] = new JsonObject { [flag] = true };
        var message = ParseOne<InboundMessage>(item);

        Assert.Null(message.ReplyToExternalId);
        Assert.True(PayloadOf(message).GetProperty("context").GetProperty(flag).GetBoolean());
    }

    [Fact]
    public void Referred_product_is_kept_in_the_payload()
    {
        var item = WhatsAppMessage("text", Obj("""{"body":"¿Tienen en rojo?"}"""));
        item["context"] = Obj("""{"from":"15550783881","id":"wamid.CAT","referred_product":{"catalog_id":"cat-9","product_retailer_id":"sku-1"}}""");
        var message = ParseOne<InboundMessage>(item);

        Assert.Equal("sku-1", PayloadOf(message).GetProperty("context").GetProperty("referred_product").GetProperty("product_retailer_id").GetString());
    }

    [Fact]
    public void Referral_marks_the_message_as_from_an_ad_and_is_kept()
    {
        var item = WhatsAppMessage("text", Obj("""{"body":"Quiero info"}"""));
        item["referral"] = Obj("""{"source_url":"https://fb.me/x","source_id":"ad-1","source_type":"ad","headline":"Promo","body":"2x1","media_type":"image","ctwa_clid":"clid-1"}""");
        var message = ParseOne<InboundMessage>(item);

        Assert.True(message.FromAd);
        Assert.Equal("clid-1", PayloadOf(message).GetProperty("referral").GetProperty("ctwa_clid").GetString());
    }

    // ---- statuses ----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("sent", DeliveryStatus.Sent)]
    [InlineData("delivered", DeliveryStatus.Delivered)]
    [InlineData("read", DeliveryStatus.Read)]
    [InlineData("played", DeliveryStatus.Played)]
    public void Status_maps_to_the_delivery_status(string wire, DeliveryStatus expected)
    {
        var status = Assert.IsType<InboundStatus>(Assert.Single(Parse(WhatsAppStatus(status: wire))));
        Assert.Equal(expected, status.Status);
        Assert.Equal("wamid.OUT1", status.MessageExternalId);
        Assert.Equal(PhoneNumberId, status.ChannelExternalId);
        Assert.Equal(WaId, status.RecipientId);
        Assert.Null(status.ErrorCode);
        Assert.Null(status.ErrorText);
    }

    [Fact]
    public void Read_status_for_a_message_keeps_its_timestamp()
    {
        var status = Assert.IsType<InboundStatus>(Assert.Single(Parse(WhatsAppStatus(wamid: "wamid.OUT9", status: "read", timestamp: 1698266945))));
        Assert.Equal(DeliveryStatus.Read, status.Status);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1698266945), status.At);
    }

    [Fact]
    public void Failed_status_carries_the_error_code_and_reason()
    {
        var item = WhatsAppStatusItem("wamid.OUT2", "failed");
        item["errors"] = JsonNode.Parse("""
            [{"code":131026,"title":"Message undeliverable","message":"Message undeliverable",
              "error_data":{"details":"Recipient is not a valid WhatsApp user."}}]
            """);
        var status = Assert.IsType<InboundStatus>(Assert.Single(Parse(WhatsAppDelivery(WhatsAppValue(statuses: [item])))));

        Assert.Equal(DeliveryStatus.Failed, status.Status);
        Assert.Equal("131026", status.ErrorCode);
        Assert.Equal("Message undeliverable — Recipient is not a valid WhatsApp user.", status.ErrorText);
    }

    [Fact]
    public void Status_without_recipient_id_uses_recipient_user_id()
    {
        var item = WhatsAppStatusItem(recipientId: null);
        item["recipient_user_id"] = Bsuid;
        var status = Assert.IsType<InboundStatus>(Assert.Single(Parse(WhatsAppDelivery(WhatsAppValue(statuses: [item])))));
        Assert.Equal(Bsuid, status.RecipientId);
    }

    [Fact]
    public void Unknown_status_is_skipped_not_thrown()
    {
        var value = WhatsAppValue(statuses: [WhatsAppStatusItem("wamid.X", "deleted"), WhatsAppStatusItem("wamid.Y", "read")]);
        var status = Assert.IsType<InboundStatus>(Assert.Single(Parse(WhatsAppDelivery(value))));
        Assert.Equal("wamid.Y", status.MessageExternalId);
    }

    // ---- errors and other changes ------------------------------------------------------------------------------

    [Fact]
    public void Value_errors_without_messages_become_channel_errors()
    {
        var errors = JsonNode.Parse("""
            [{"code":131000,"title":"Something went wrong","message":"Something went wrong","error_data":{"details":"Unknown error, retry later"}}]
            """)!.AsArray().Select(e => e!.DeepClone());
        var error = Assert.IsType<InboundChannelError>(Assert.Single(Parse(WhatsAppDelivery(WhatsAppValue(errors: errors)))));

        Assert.Equal(ChannelKind.WhatsApp, error.Channel);
        Assert.Equal(PhoneNumberId, error.ChannelExternalId);
        Assert.Equal("131000", error.Code);
        Assert.Equal("Something went wrong", error.Title);
        Assert.Equal("Unknown error, retry later", error.Details);
    }

    [Fact]
    public void Changes_for_other_fields_are_ignored()
    {
        var body = """
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
              {"field":"account_update","value":{"phone_number":"15550783881","event":"VERIFIED_ACCOUNT"}},
              {"field":"phone_number_quality_update","value":{"display_phone_number":"15550783881","event":"FLAGGED"}}]}]}
            """;
        Assert.Empty(Parse(body));
    }

    [Fact]
    public void Template_review_is_routed_by_the_WABA_id_of_its_entry()
    {
        var body = """
            {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","time":1751247548,"changes":[
              {"field":"message_template_status_update","value":{"event":"REJECTED","message_template_id":806312974732579,
               "message_template_name":"promo_verano","message_template_language":"es_MX","reason":"PROMOTIONAL"}}]}]}
            """;
        var review = Assert.IsType<InboundTemplateStatus>(Assert.Single(Parse(body)));
        Assert.Equal("102290129340398", review.ChannelExternalId);
        Assert.Equal(("806312974732579", "promo_verano", "es_MX", "REJECTED", "PROMOTIONAL"),
            (review.TemplateId, review.Name, review.Language, review.Status, review.Reason));
    }

    [Fact]
    public void Empty_entry_list_yields_no_events() =>
        Assert.Empty(Parse("""{"object":"whatsapp_business_account","entry":[]}"""));

    // ---- batches -----------------------------------------------------------------------------------------------

    [Fact]
    public void Batch_with_two_phone_numbers_yields_events_for_both()
    {
        const string second = "106540352249999";
        var first = WhatsAppValue(PhoneNumberId,
            contacts: [WhatsAppContact(WaId, Bsuid, "Ana"), WhatsAppContact("5215500000002", null, "Beto")],
            messages:
            [
                WhatsAppMessage("text", Obj("""{"body":"hola"}"""), "wamid.M1"),
                WhatsAppMessage("image", Obj("""{"id":"img1","mime_type":"image/jpeg","sha256":"h"}"""), "wamid.M2", from: "5215500000002"),
                WhatsAppMessage("location", Obj("""{"latitude":"20.1","longitude":"-100.2"}"""), "wamid.M3"),
                WhatsAppMessage("reaction", Obj("""{"message_id":"wamid.OUT1","emoji":"❤️"}"""), "wamid.M4"),
                WhatsAppMessage("interactive", Obj("""{"type":"button_reply","button_reply":{"id":"b1","title":"Sí"}}"""), "wamid.M5"),
                WhatsAppMessage("poll_vote", Obj("""{"option":"A"}"""), "wamid.M6"),
            ],
            statuses: [WhatsAppStatusItem("wamid.OUT1", "read")]);
        var secondValue = WhatsAppValue(second,
            contacts: [WhatsAppContact("5491100000003", null, "Caro")],
            messages:
            [
                WhatsAppMessage("document", Obj("""{"id":"doc1","mime_type":"application/pdf","sha256":"h","filename":"a.pdf"}"""), "wamid.N1", from: "5491100000003"),
                WhatsAppMessage("button", Obj("""{"payload":"YES","text":"Sí"}"""), "wamid.N2", from: "5491100000003"),
            ],
            statuses: [WhatsAppStatusItem("wamid.OUT2", "delivered", recipientId: "5491100000003")]);

        var events = Parse(WhatsAppDelivery(first, secondValue));

        Assert.Equal(10, events.Count);
        Assert.Equal(7, events.Count(e => e.ChannelExternalId == PhoneNumberId));
        Assert.Equal(3, events.Count(e => e.ChannelExternalId == second));
        var types = events.OfType<InboundMessage>().ToDictionary(m => m.ExternalId, m => m.Type);
        Assert.Equal(MessageType.Text, types["wamid.M1"]);
        Assert.Equal(MessageType.Image, types["wamid.M2"]);
        Assert.Equal(MessageType.Location, types["wamid.M3"]);
        Assert.Equal(MessageType.Interactive, types["wamid.M5"]);
        Assert.Equal(MessageType.Unsupported, types["wamid.M6"]);
        Assert.Equal(MessageType.Document, types["wamid.N1"]);
        Assert.Equal(MessageType.Button, types["wamid.N2"]);
        Assert.Equal("wamid.M4", Assert.Single(events.OfType<InboundReaction>()).ExternalId);
        Assert.Equal(["wamid.OUT1", "wamid.OUT2"], events.OfType<InboundStatus>().Select(s => s.MessageExternalId));
        Assert.Equal("Beto", events.OfType<InboundMessage>().Single(m => m.ExternalId == "wamid.M2").Customer.ProfileName);
        Assert.Equal("Caro", events.OfType<InboundMessage>().Single(m => m.ExternalId == "wamid.N1").Customer.ProfileName);
    }

    [Fact]
    public void Several_entries_and_changes_are_all_read()
    {
        var body = $$"""
            {"object":"whatsapp_business_account","entry":[
              {"id":"w1","changes":[{"field":"messages","value":{{WhatsAppValue("111", messages: [WhatsAppMessage("text", Obj("""{"body":"a"}"""), "wamid.a")]).ToJsonString()}}},
                                    {"field":"messages","value":{{WhatsAppValue("222", messages: [WhatsAppMessage("text", Obj("""{"body":"b"}"""), "wamid.b")]).ToJsonString()}}}]},
              {"id":"w2","changes":[{"field":"messages","value":{{WhatsAppValue("333", statuses: [WhatsAppStatusItem("wamid.c", "sent")]).ToJsonString()}}}]}]}
            """;

        Assert.Equal(["111", "222", "333"], Parse(body).Select(e => e.ChannelExternalId));
    }

    [Fact]
    public void Bad_elements_in_a_batch_do_not_lose_the_others()
    {
        var noId = WhatsAppMessage("text", Obj("""{"body":"x"}"""));
        noId.Remove("id");
        var badTimestamp = WhatsAppMessage("text", Obj("""{"body":"x"}"""), "wamid.BAD");
        badTimestamp["timestamp"] = "yesterday";
        var value = WhatsAppValue(
            contacts: [WhatsAppContact()],
            messages: [noId, badTimestamp, JsonValue.Create("not an object")!, WhatsAppMessage("text", Obj("""{"body":"ok"}"""), "wamid.OK")],
            statuses: [JsonValue.Create(42)!, WhatsAppStatusItem("wamid.OUT1", "sent")]);
        var noMetadata = new JsonObject { ["messages"] = new JsonArray(WhatsAppMessage("text", Obj("""{"body":"lost"}"""), "wamid.LOST")) };

        var events = Parse(WhatsAppDelivery(noMetadata, value));

        Assert.Equal(2, events.Count);
        Assert.Equal("wamid.OK", Assert.IsType<InboundMessage>(events[0]).ExternalId);
        Assert.Equal("wamid.OUT1", Assert.IsType<InboundStatus>(events[1]).MessageExternalId);
    }

    [Fact]
    public void Message_whose_text_has_the_wrong_shape_is_kept_as_unsupported()
    {
        var message = ParseOne<InboundMessage>(WhatsAppMessage("text", JsonValue.Create("just a string")));
        Assert.Equal(MessageType.Unsupported, message.Type);
    }

    // ---- envelope ----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("{\"object\":\"whatsapp_business_account\",\"entry\":[")]
    [InlineData("not json at all")]
    [InlineData("")]
    [InlineData("{\"object\":\"whatsapp_business_account\",\"entry\":[]} trailing")]
    public void Malformed_json_is_a_format_error(string body)
    {
        var ex = Assert.Throws<WebhookFormatException>(() => Parse(body));
        Assert.Contains("WhatsApp", ex.Message);
    }

    [Theory]
    [InlineData("""{"object":"page","entry":[]}""")]
    [InlineData("""{"entry":[]}""")]
    public void Wrong_object_is_a_format_error(string body)
    {
        var ex = Assert.Throws<WebhookFormatException>(() => Parse(body));
        Assert.Contains("whatsapp_business_account", ex.Message);
    }

    [Theory]
    [InlineData("""{"object":"whatsapp_business_account"}""")]
    [InlineData("""{"object":"whatsapp_business_account","entry":{}}""")]
    public void Missing_entry_array_is_a_format_error(string body) =>
        Assert.Throws<WebhookFormatException>(() => Parse(body));

    [Theory]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("null")]
    public void Body_that_is_not_an_object_is_a_format_error(string body) =>
        Assert.Throws<WebhookFormatException>(() => Parse(body));

    [Fact]
    public void Builders_make_deliveries_the_parser_reads()
    {
        var text = Assert.IsType<InboundMessage>(Assert.Single(Parse(WhatsAppText("999", "5215599999999", "wamid.Z", "¿qué tal?", 1700000000))));
        Assert.Equal(("999", "5215599999999", "wamid.Z", "¿qué tal?"), (text.ChannelExternalId, text.Customer.Id, text.ExternalId, text.Text));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), text.SentAt);

        var status = Assert.IsType<InboundStatus>(Assert.Single(Parse(WhatsAppStatus("999", "wamid.Q", "sent", 1700000001, "5215599999999"))));
        Assert.Equal(("999", "wamid.Q", DeliveryStatus.Sent), (status.ChannelExternalId, status.MessageExternalId, status.Status));
    }
}
