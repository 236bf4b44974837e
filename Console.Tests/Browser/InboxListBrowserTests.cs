using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Tests.Inbox;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>
/// The conversation list read at a glance, also on a phone without hover: the customer window and a waiting customer in
/// words, temperature named, filter labels whole, conversation labels set from the panel and filtered, and the keyboard
/// shortcuts of the list and the panel.
/// </summary>
public class InboxListBrowserTests(LiveInboxBrowserApp live, BrowserFixture browser)
    : IClassFixture<LiveInboxBrowserApp>, IClassFixture<BrowserFixture>
{
    private BrowserNodeAppFactory App => live.App;

    private async Task<IPage> SignInAsync(string email, string returnUrl, string password = DemoSeeder.Password, int width = 1366, int height = 800,
        string locale = "es-MX")
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = App.ServerAddress.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.GetByLabel(locale.StartsWith("es") ? "Correo electrónico" : "E-mail").FillAsync(email);
        await page.GetByLabel(locale.StartsWith("es") ? "Contraseña" : "Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = locale.StartsWith("es") ? "Entrar" : "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**" + returnUrl);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private async Task<Guid> DemoTenantIdAsync()
    {
        await using var work = App.Scopes.ForSystem("test");
        return await work.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
    }

    /// <summary>A new customer on the demo WhatsApp number, written just now (the 24 h window is open).</summary>
    private async Task<Conversation> CustomerAsync(string name, string text = "Hola")
    {
        var tenantId = await DemoTenantIdAsync();
        OperatorConsole.Domain.Channels.Channel whatsapp;
        await using (var work = App.Scopes.ForTenant(tenantId))
            whatsapp = await work.Db.Channels.AsNoTracking().SingleAsync(c => c.ExternalId == DemoSeeder.WhatsAppPhoneNumberId);
        return await App.ConversationAsync(tenantId, name, text, whatsapp, "52155" + Random.Shared.Next(10000000, 99999999));
    }

    /// <summary>The customer asked for a person <paramref name="minutesAgo"/> minutes ago and nobody has answered.</summary>
    private async Task HandedOffAsync(Guid conversationId, int minutesAgo)
    {
        await using var work = App.Scopes.ForTenant(await DemoTenantIdAsync());
        var conversation = await work.Db.Conversations.SingleAsync(c => c.Id == conversationId);
        var at = DateTimeOffset.UtcNow.AddMinutes(-minutesAgo);
        conversation.HandOff(HandoffReason.UserRequested, HandoffPriority.Normal, at);
        work.Db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.HandedOff, null, "Handed off", "{}", at));
        await work.Db.SaveChangesAsync();
    }

    private async Task<LabelRow> LabelAsync(string name, string color = "#0d9488") =>
        await App.Services.GetRequiredService<LabelCommands>().CreateAsync(InboxActor.Integration(await DemoTenantIdAsync()),
            $"{name} {Random.Shared.Next(1000, 9999)}", color);

    private static ILocator Row(IPage page, Guid conversationId) => page.Locator($"[data-conversation='{conversationId}']");

    /// <summary>Text elements whose content is wider than their box (cut by an ellipsis or overflow), described for the failure message.</summary>
    private static Task<string[]> ClippedAsync(IPage page, string selector) => page.EvaluateAsync<string[]>("""
        selector => [...document.querySelectorAll(selector)]
            .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
            .map(e => `${e.className}: "${e.textContent.trim()}" ${e.scrollWidth}>${e.clientWidth}`)
        """, selector);

    [Theory]
    [InlineData(390, 844)]
    [InlineData(1366, 800)]
    public async Task Window_and_waiting_read_as_words_and_nothing_in_the_list_header_is_cut(int width, int height)
    {
        var fresh = await CustomerAsync("Ventana Abierta");
        var waiting = await CustomerAsync("Espera Larga", "Quiero hablar con alguien");
        await HandedOffAsync(waiting.Id, 47);
        await LabelAsync("Seguimiento");
        var page = await SignInAsync(DemoSeeder.AgentEmail, "/inbox", width: width, height: height);

        var freshRow = Row(page, fresh.Id);
        await Assertions.Expect(freshRow.GetByTestId("window-countdown")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^Ventana 2[34] h$"));
        await Assertions.Expect(freshRow.GetByTestId("temperature")).ToHaveTextAsync("Tibio");
        await Assertions.Expect(freshRow.GetByTestId("temperature")).ToBeVisibleAsync();
        var sla = Row(page, waiting.Id).GetByTestId("sla-countdown");
        await Assertions.Expect(sla).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^Espera 4[78] min$"));
        await Assertions.Expect(sla).ToHaveCSSAsync("background-color", "rgb(220, 38, 38)");
        await Assertions.Expect(page.Locator(".inbox-filters label.mud-input-label").Filter(new() { HasText = "Etiqueta" })).ToBeVisibleAsync();

        Assert.Empty(await ClippedAsync(page, ".inbox-filters .mud-input-label, .inbox-tab, .inbox-row-chips > *, .inbox-list-header h1"));
    }

    [Fact]
    public async Task A_label_set_from_the_panel_shows_on_the_row_and_the_filter_narrows_the_list_to_it()
    {
        var labelled = await CustomerAsync("Lucía Etiquetas");
        var unlabelled = await CustomerAsync("Pedro Sin Etiqueta");
        var name = $"Factura {Random.Shared.Next(1000, 9999)}";
        var page = await SignInAsync(DemoSeeder.AgentEmail, $"/inbox/{labelled.Id}", width: 390, height: 844);

        await page.GetByRole(AriaRole.Button, new() { Name = "Etiquetas de esta conversación" }).ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "Nueva etiqueta…" }).ClickAsync();
        await page.GetByLabel("Nombre de la etiqueta").FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Color 3" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Crear", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("conversation-label").Filter(new() { HasText = name })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Volver a la lista" }).ClickAsync();
        await Assertions.Expect(Row(page, labelled.Id).GetByTestId("row-label")).ToHaveTextAsync(name);
        await Assertions.Expect(Row(page, unlabelled.Id)).ToBeVisibleAsync();

        await page.Locator(".inbox-filters .mud-select").Filter(new() { HasText = "Etiqueta" }).First.ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = name }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("conversation-row")).ToHaveCountAsync(1);
        await Assertions.Expect(Row(page, labelled.Id)).ToBeVisibleAsync();

        // Taken off from the panel, it leaves the row too.
        await Row(page, labelled.Id).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Quitar etiqueta {name}" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("conversation-label")).ToHaveCountAsync(0);
        await using var work = App.Scopes.ForTenant(await DemoTenantIdAsync());
        Assert.False(await work.Db.ConversationLabels.AnyAsync(l => l.ConversationId == labelled.Id));
    }

    [Fact]
    public async Task Shortcuts_move_the_selection_take_over_and_resolve_and_question_mark_opens_the_sheet_that_Esc_closes()
    {
        await CustomerAsync("Atajo Primero");
        var top = await CustomerAsync("Atajo Segundo");
        var page = await SignInAsync(DemoSeeder.AgentEmail, $"/inbox/{top.Id}");
        await Assertions.Expect(Row(page, top.Id)).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("selected"));
        var order = await page.GetByTestId("conversation-row").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.conversation)");
        var next = Guid.Parse(order[Array.IndexOf(order, top.Id.ToString()) + 1]);

        // Typing in the reply box is typing: "j" is a letter there, not a shortcut.
        var composer = page.GetByLabel("Escribe un mensaje");
        await composer.PressSequentiallyAsync("jk");
        await Assertions.Expect(composer).ToHaveValueAsync("jk");
        Assert.EndsWith($"/inbox/{top.Id}", page.Url);
        await composer.FillAsync("");
        // Alt+J works from the reply box, J and K from anywhere else.
        await composer.PressAsync("Alt+j");
        await page.WaitForURLAsync($"**/inbox/{next}");
        await Assertions.Expect(Row(page, next)).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("selected"));
        await page.EvaluateAsync("document.activeElement?.blur()");
        await page.Keyboard.PressAsync("k");
        await page.WaitForURLAsync($"**/inbox/{top.Id}");
        // The address changes before the panel shows the conversation: wait for its name, or T takes over the last one.
        await Assertions.Expect(page.Locator(".chat-name")).ToHaveTextAsync("Atajo Segundo");
        await Assertions.Expect(page.GetByTestId("owner-badge")).ToContainTextAsync("Bot");

        await page.Keyboard.PressAsync("t");
        await Assertions.Expect(page.GetByTestId("owner-badge")).ToContainTextAsync("Andrés Agente");
        await page.Keyboard.PressAsync("a");
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "Olivia Dueñas" }).First.ClickAsync();
        await Assertions.Expect(page.GetByTestId("owner-badge")).ToContainTextAsync("Olivia Dueñas");
        // While a menu is open it owns the keys; it closes once its item is chosen.
        await Assertions.Expect(page.Locator(".mud-popover-open")).ToHaveCountAsync(0);
        await page.Keyboard.PressAsync("e");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Reabrir" })).ToBeVisibleAsync();
        Assert.Equal(ConversationStatus.Resolved, await StatusAsync(top.Id));

        await page.Keyboard.PressAsync("?");
        var sheet = page.GetByRole(AriaRole.Dialog, new() { Name = "Atajos de teclado" });
        await Assertions.Expect(sheet).ToBeVisibleAsync();
        await Assertions.Expect(sheet.GetByTestId("shortcuts")).ToContainTextAsync("Conversación siguiente");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(sheet).ToHaveCountAsync(0);
    }

    private async Task<ConversationStatus> StatusAsync(Guid id)
    {
        await using var work = App.Scopes.ForTenant(await DemoTenantIdAsync());
        return await work.Db.Conversations.Where(c => c.Id == id).Select(c => c.Status).SingleAsync();
    }

    [Theory]
    [InlineData("es-MX", "es", 1366, 800)]
    [InlineData("en-US", "en", 1366, 800)]
    [InlineData("es-MX", "es", 390, 844)]
    [InlineData("en-US", "en", 390, 844)]
    [Trait("Category", "Screenshots")]
    public async Task List_screenshots_on_a_laptop_and_a_phone(string locale, string language, int width, int height)
    {
        // The same waiting, labelled customer in every language and size (run this test alone to refresh docs/screenshots).
        var tenantId = await DemoTenantIdAsync();
        var labels = App.Services.GetRequiredService<LabelCommands>();
        var vip = (await labels.ListAsync(tenantId)).FirstOrDefault(l => l.Name == "VIP")
            ?? await labels.CreateAsync(InboxActor.Integration(tenantId), "VIP", "#ea580c");
        Guid waitingId;
        await using (var work = App.Scopes.ForTenant(tenantId))
        {
            waitingId = await (from c in work.Db.Conversations join k in work.Db.Contacts on c.ContactId equals k.Id
                               where k.Name == "Mariana Espera" select c.Id).FirstOrDefaultAsync();
        }
        if (waitingId == Guid.Empty)
        {
            waitingId = (await CustomerAsync("Mariana Espera", "¿Me atiende una persona, por favor?")).Id;
            await HandedOffAsync(waitingId, 47);
            await labels.SetAsync(InboxActor.Integration(tenantId), waitingId, vip.Id, true);
        }
        var owner = await App.MemberAsync(tenantId, language == "es" ? "Olivia Dueñas" : "Olivia Owner", TenantRole.Owner, "Shot!2345", language);
        var page = await SignInAsync(await App.EmailOfAsync(tenantId, owner.MemberId!.Value), "/inbox", "Shot!2345", width, height, locale);
        var device = width < 600 ? "phone" : "desktop";
        await Assertions.Expect(Row(page, waitingId).GetByTestId("row-label")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"inbox-list-{device}-{language}.png") });

        // The conversation's labels bar with its menu open, and the shortcut sheet.
        await Row(page, waitingId).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = language == "es" ? "Etiquetas de esta conversación" : "Labels of this conversation" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Menuitemcheckbox).Filter(new() { HasText = "VIP" })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"inbox-labels-{device}-{language}.png") });
        await page.GotoAsync("/inbox");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.GetByRole(AriaRole.Button, new() { Name = language == "es" ? "Atajos de teclado (?)" : "Keyboard shortcuts (?)" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Dialog)).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"inbox-shortcuts-{device}-{language}.png") });
    }
}
