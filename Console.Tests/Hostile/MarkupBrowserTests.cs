using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Hostile;

/// <summary>
/// Names and messages carrying markup and SQL, written by a customer through the real webhook, shown to an operator in a
/// real browser: the inbox list, the conversation, the contact panel, a live update while the page is open, the leads
/// list and the lead page all show the text as text, no script runs (<c>window.__xss</c> stays unset), no element
/// the payload describes appears, and the browser reports no CSP violation (nothing was even attempted).
/// </summary>
public class MarkupBrowserTests(BrowserAppFactory app, BrowserFixture browser) : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private const string HostileName = "<img src=x onerror=\"window.__xss='name'\">'); DROP TABLE contacts;--";
    private const string ScriptMessage = "<script>window.__xss='script'</script> hola";
    private const string SvgMessage = "<svg onload=\"window.__xss='svg'\"></svg>\"><iframe src=\"javascript:window.__xss='iframe'\"></iframe>";
    private const string LiveMessage = "<b onmouseover=\"window.__xss='live'\">precio</b> [pagar](javascript:window.__xss='link') '; DELETE FROM messages;--";

    [Fact]
    public async Task Markup_and_SQL_in_names_and_messages_are_shown_as_text_and_never_run()
    {
        var tenant = await app.TenantAsync(password: "Str0ng!Pass");
        var channel = await app.ChannelAsync(tenant.Id);
        var hooks = new WebhookClient(new HttpClient { BaseAddress = app.ServerAddress });
        const string waId = "5215587654321";
        var first = "wamid." + Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.OK, (await hooks.PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(channel.ExternalId, waId, first, ScriptMessage, DateTimeOffset.UtcNow, HostileName))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(channel.ExternalId, waId,
            "wamid." + Guid.NewGuid().ToString("N"), SvgMessage, DateTimeOffset.UtcNow, HostileName))).StatusCode);
        var (conversationId, contactId) = await Eventually.GetAsync(async () =>
        {
            await using var work = app.Scopes.ForTenant(tenant.Id);
            var rows = await work.Db.Messages.AsNoTracking().Where(m => m.Body == SvgMessage)
                .Join(work.Db.Conversations, m => m.ConversationId, c => c.Id, (m, c) => new { c.Id, c.ContactId }).ToListAsync();
            return rows.Select(r => (r.Id, r.ContactId)).FirstOrDefault();
        }, r => r.Id != Guid.Empty, "both hostile messages stored");

        var page = await browser.SignInAsync(app.ServerAddress, $"{tenant.Slug}@owner.test", "Str0ng!Pass", "/inbox", "es-MX", 1440, 900);
        var violations = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || m.Text.Contains("Refused to", StringComparison.Ordinal))
                lock (violations) violations.Add(m.Text);
        };
        page.PageError += (_, e) => { lock (violations) violations.Add("page error: " + e); };

        await page.GotoAsync($"/inbox/{conversationId}");
        await Assertions.Expect(page.GetByText(ScriptMessage).First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText(SvgMessage).First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText(HostileName).First).ToBeVisibleAsync(); // list, header or contact panel

        // A message arriving while the page is open (the live update, and any toast that names the sender).
        Assert.Equal(HttpStatusCode.OK, (await hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(channel.ExternalId, waId,
            "wamid." + Guid.NewGuid().ToString("N"), LiveMessage, DateTimeOffset.UtcNow, HostileName))).StatusCode);
        await Assertions.Expect(page.GetByText(LiveMessage).First).ToBeVisibleAsync();
        var bold = page.Locator("b[onmouseover]");
        if (await bold.CountAsync() > 0) await bold.First.HoverAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("hostile-markup-inbox.png") });
        await AssertInertAsync(page);

        await page.GotoAsync("/leads");
        await Assertions.Expect(page.GetByText(HostileName).First).ToBeVisibleAsync();
        await AssertInertAsync(page);
        await page.GotoAsync($"/leads/{contactId}");
        await Assertions.Expect(page.GetByText(HostileName).First).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("hostile-markup-lead.png") });
        await AssertInertAsync(page);

        Assert.True(violations.Count == 0, "the browser reported: " + string.Join(" | ", violations));
        // The SQL stayed text: the tables are there and hold exactly what was written.
        await using var check = app.Scopes.ForTenant(tenant.Id);
        Assert.Equal(HostileName, (await check.Db.Contacts.AsNoTracking().SingleAsync(c => c.Id == contactId)).Name);
        Assert.Equal(3, await check.Db.Messages.CountAsync(m => m.ConversationId == conversationId
            && m.Direction == OperatorConsole.Domain.Conversations.MessageDirection.Inbound));
    }

    /// <summary>No payload ran and no element a payload describes exists in the page.</summary>
    private static async Task AssertInertAsync(IPage page)
    {
        Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.__xss"));
        Assert.Equal(0, await page.Locator("img[src='x'], svg[onload], iframe[src^='javascript'], b[onmouseover], a[href^='javascript']").CountAsync());
        Assert.Equal(0, await page.EvaluateAsync<int>("() => [...document.scripts].filter(s => s.text.includes('__xss')).length"));
    }
}
