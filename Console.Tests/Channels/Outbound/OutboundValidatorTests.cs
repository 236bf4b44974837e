using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Channels.Outbound;

namespace OperatorConsole.Tests.Channels.Outbound;

public class OutboundValidatorTests
{
    private static IReadOnlyList<string> Problems(ChannelKind kind, OutboundContent content) =>
        OutboundValidator.Validate(kind, content).Select(p => p.Message).ToList();

    private static ButtonsContent Buttons(params string[] titles) =>
        new("¿Confirmas tu cita?", titles.Select((t, i) => new ReplyButton($"b{i + 1}", t)).ToList());

    private static ListContent List(int rows, string rowTitle = "Limpieza") =>
        new("Elige un horario", "Ver horarios",
            [new ListSection("Mañana", Enumerable.Range(1, rows).Select(i => new ListRow($"r{i}", $"{rowTitle} {i}", "45 min")).ToList())]);

    [Fact]
    public void Plain_whatsapp_text_passes() => Assert.Empty(Problems(ChannelKind.WhatsApp, new() { Text = "Hola, ¿en qué te ayudo?" }));

    [Fact]
    public void Empty_text_is_refused() =>
        Assert.Equal(["text: must not be empty"], Problems(ChannelKind.WhatsApp, new() { Text = "" }));

    [Fact]
    public void Whitespace_only_text_is_refused() =>
        Assert.Equal(["text: must not be empty"], Problems(ChannelKind.WhatsApp, new() { Text = " \n " }));

    [Fact]
    public void Whatsapp_text_of_4096_characters_passes_and_4097_names_the_limit()
    {
        Assert.Empty(Problems(ChannelKind.WhatsApp, new() { Text = new string('a', 4096) }));
        Assert.Equal(["text: at most 4096 characters, got 4097"], Problems(ChannelKind.WhatsApp, new() { Text = new string('a', 4097) }));
    }

    [Fact]
    public void Characters_are_counted_as_unicode_characters_not_utf16_units()
    {
        // 20 emoji are 40 UTF-16 units but 20 characters: a full, valid button title.
        var title = string.Concat(Enumerable.Repeat("👍", 20));
        Assert.Empty(Problems(ChannelKind.WhatsApp, new() { Buttons = Buttons(title) }));
    }

    [Fact]
    public void Content_with_nothing_set_is_refused() =>
        Assert.Equal(["content: nothing to send, set one of text, media, template, buttons, list or link"], Problems(ChannelKind.WhatsApp, new()));

    [Fact]
    public void Content_with_two_members_set_is_refused() =>
        Assert.Equal(["content: exactly one of text, media, template, buttons, list or link, got 2 (text, buttons)"],
            Problems(ChannelKind.WhatsApp, new() { Text = "hola", Buttons = Buttons("Sí") }));

    [Fact]
    public void Four_reply_buttons_are_refused_naming_the_limit() =>
        Assert.Equal(["reply buttons: at most 3, got 4"], Problems(ChannelKind.WhatsApp, new() { Buttons = Buttons("Sí", "No", "Tal vez", "Luego") }));

    [Fact]
    public void No_reply_buttons_are_refused() =>
        Assert.Equal(["reply buttons: at least 1, got 0"], Problems(ChannelKind.WhatsApp, new() { Buttons = Buttons() }));

    [Fact]
    public void A_21_character_button_title_is_refused_naming_the_button_and_length() =>
        Assert.Equal(["button 2 title: at most 20 characters, got 21"],
            Problems(ChannelKind.WhatsApp, new() { Buttons = Buttons("Sí", new string('x', 21)) }));

    [Fact]
    public void A_27_character_button_title_reports_27() =>
        Assert.Equal(["button 2 title: at most 20 characters, got 27"],
            Problems(ChannelKind.WhatsApp, new() { Buttons = Buttons("Sí", "Quiero cambiar la fecha ya!") }));

    [Fact]
    public void Duplicate_button_titles_and_ids_are_refused()
    {
        var content = new ButtonsContent("¿Confirmas?", [new("b1", "Sí"), new("b1", "Sí")]);
        Assert.Equal(["button 2 id: must be unique, same as button 1 ('b1')", "button 2 title: must be unique, same as button 1 ('Sí')"],
            Problems(ChannelKind.WhatsApp, new() { Buttons = content }));
    }

    [Fact]
    public void Button_body_over_1024_characters_is_refused() =>
        Assert.Equal(["buttons body: at most 1024 characters, got 1025"],
            Problems(ChannelKind.WhatsApp, new() { Buttons = new ButtonsContent(new string('b', 1025), [new("b1", "Sí")]) }));

    [Fact]
    public void A_list_of_ten_rows_passes_and_eleven_rows_are_refused()
    {
        Assert.Empty(Problems(ChannelKind.WhatsApp, new() { List = List(10) }));
        Assert.Equal(["list rows: at most 10 in total, got 11"], Problems(ChannelKind.WhatsApp, new() { List = List(11) }));
    }

    [Fact]
    public void List_rows_are_counted_across_sections()
    {
        var list = new ListContent("Elige", "Ver", [
            new ListSection("Mañana", Enumerable.Range(1, 6).Select(i => new ListRow($"m{i}", $"{8 + i}:00", null)).ToList()),
            new ListSection("Tarde", Enumerable.Range(1, 5).Select(i => new ListRow($"t{i}", $"{14 + i}:00", null)).ToList()),
        ]);
        Assert.Equal(["list rows: at most 10 in total, got 11"], Problems(ChannelKind.WhatsApp, new() { List = list }));
    }

    [Fact]
    public void A_25_character_row_title_is_refused_naming_the_row() =>
        Assert.Equal(["row 1 title: at most 24 characters, got 25"],
            Problems(ChannelKind.WhatsApp, new() { List = new ListContent("Elige", "Ver", [new("Mañana", [new("r1", new string('r', 25), null)])]) }));

    [Fact]
    public void Row_description_section_title_and_button_label_limits_are_named()
    {
        var list = new ListContent("Elige", "Ver todos los horarios", [
            new ListSection(new string('s', 25), [new ListRow("r1", "9:00", new string('d', 73))]),
        ]);
        Assert.Equal([
            "list button label: at most 20 characters, got 22",
            "section 1 title: at most 24 characters, got 25",
            "row 1 description: at most 72 characters, got 73",
        ], Problems(ChannelKind.WhatsApp, new() { List = list }));
    }

    [Fact]
    public void An_empty_list_and_duplicate_row_ids_are_refused()
    {
        Assert.Equal(["list rows: at least 1, got 0"],
            Problems(ChannelKind.WhatsApp, new() { List = new ListContent("Elige", "Ver", [new ListSection("Mañana", [])]) }));
        var duplicated = new ListContent("Elige", "Ver", [new ListSection("Mañana", [new("r1", "9:00", null), new("r1", "10:00", null)])]);
        Assert.Equal(["row 2 id: must be unique, same as row 1 ('r1')"], Problems(ChannelKind.WhatsApp, new() { List = duplicated }));
    }

    [Fact]
    public void Several_sections_each_need_a_title()
    {
        var list = new ListContent("Elige", "Ver", [new ListSection("Mañana", [new("r1", "9:00", null)]), new ListSection(null, [new("r2", "16:00", null)])]);
        Assert.Equal(["section 2 title: required when the list has more than one section"], Problems(ChannelKind.WhatsApp, new() { List = list }));
    }

    [Fact]
    public void Media_needs_a_link_or_an_id_and_a_known_kind()
    {
        Assert.Equal(["media: needs a link or a media id"], Problems(ChannelKind.WhatsApp, new() { Media = new("image", null, null, null, null) }));
        Assert.Equal(["media kind: must be image, video, audio or document, got 'sticker'"],
            Problems(ChannelKind.WhatsApp, new() { Media = new("sticker", null, "123", null, null) }));
        Assert.Equal(["media link: must be an absolute http(s) URL, got 'ftp://x/y.png'"],
            Problems(ChannelKind.WhatsApp, new() { Media = new("image", "ftp://x/y.png", null, null, null) }));
    }

    [Fact]
    public void Media_caption_is_limited_to_1024_and_not_allowed_on_audio()
    {
        Assert.Equal(["media caption: at most 1024 characters, got 1025"],
            Problems(ChannelKind.WhatsApp, new() { Media = new("image", "https://cdn.example/a.jpg", null, new string('c', 1025), null) }));
        Assert.Equal(["media caption: audio cannot carry a caption"],
            Problems(ChannelKind.WhatsApp, new() { Media = new("audio", null, "987", "escucha", null) }));
    }

    [Fact]
    public void Template_needs_a_name_and_a_language() =>
        Assert.Equal(["template name: required", "template language: required"],
            Problems(ChannelKind.WhatsApp, new() { Template = new("", " ", []) }));

    [Fact]
    public void Messenger_text_is_limited_to_2000_characters()
    {
        Assert.Empty(Problems(ChannelKind.Messenger, new() { Text = new string('m', 2000) }));
        Assert.Equal(["text: at most 2000 characters, got 2001"], Problems(ChannelKind.Instagram, new() { Text = new string('m', 2001) }));
    }

    [Fact]
    public void TikTok_text_is_limited_to_1000_characters() =>
        Assert.Equal(["text: at most 1000 characters, got 1001"], Problems(ChannelKind.TikTok, new() { Text = new string('t', 1001) }));

    [Theory]
    [InlineData(ChannelKind.Messenger)]
    [InlineData(ChannelKind.Instagram)]
    [InlineData(ChannelKind.TikTok)]
    public void Buttons_and_lists_beyond_whatsapp_limits_pass_where_they_become_numbered_text(ChannelKind kind)
    {
        Assert.Empty(Problems(kind, new() { Buttons = Buttons("Sí", "No", "Tal vez", "Quiero cambiar la fecha ya!") }));
        Assert.Empty(Problems(kind, new() { List = List(12, rowTitle: "Limpieza dental profunda con flúor") }));
    }

    [Fact]
    public void Numbered_text_that_outgrows_the_channel_limit_is_refused() =>
        Assert.Equal(["text: at most 1000 characters, got 1002 (buttons rendered as numbered text)"],
            Problems(ChannelKind.TikTok, new() { Buttons = new ButtonsContent(new string('q', 995), [new("b1", "Sí")]) }));

    [Theory]
    [InlineData(ChannelKind.Messenger)]
    [InlineData(ChannelKind.Instagram)]
    [InlineData(ChannelKind.TikTok)]
    public void Templates_are_whatsapp_only(ChannelKind kind) =>
        Assert.Equal([$"template: templates are WhatsApp-only, {kind} cannot send one"],
            Problems(kind, new() { Template = new("recordatorio", "es_MX", ["Ana"]) }));

    [Fact]
    public void TikTok_refuses_media() =>
        Assert.Equal(["media: TikTok business messages can only be text"],
            Problems(ChannelKind.TikTok, new() { Media = new("image", "https://cdn.example/a.jpg", null, null, null) }));

    [Fact]
    public void Messenger_refuses_a_caption_it_cannot_send() =>
        Assert.Equal(["media caption: Messenger attachments carry no caption, send the caption as its own text"],
            Problems(ChannelKind.Messenger, new() { Media = new("image", "https://cdn.example/a.jpg", null, "Tu receta", null) }));

    [Fact]
    public void Numbered_text_numbers_rows_across_sections()
    {
        var list = new ListContent("Elige un horario", "Ver", [
            new ListSection("Mañana", [new("m1", "9:00", "Dra. López"), new("m2", "10:00", null)]),
            new ListSection("Tarde", [new("t1", "16:00", null)]),
        ]);
        Assert.Equal("Elige un horario\n\nMañana\n1. 9:00 — Dra. López\n2. 10:00\n\nTarde\n3. 16:00", NumberedText.Render(list));
        Assert.Equal("¿Confirmas?\n\n1. Sí\n2. No", NumberedText.Render(new ButtonsContent("¿Confirmas?", [new("b1", "Sí"), new("b2", "No")])));
    }
}
