using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.CommandCenter;

/// <summary>The command center's failed work, DevConsole, audit log and e-mail log in a real browser.</summary>
public class FailedWorkBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    /// <summary>Opens a page and waits until its circuit is live (a prerendered page ignores clicks and typing).</summary>
    private static async Task GoAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
    }

    private async Task<IPage> AdminAtAsync(string path, string culture = "es", int width = 1366, int height = 900)
    {
        var email = await CommandCenterAdmins.SuperAdminAsync(app, culture);
        return await browser.SignInAsync(app.ServerAddress, email, CommandCenterAdmins.Password, path, culture == "es" ? "es-MX" : "en-US", width, height);
    }

    [Fact]
    public async Task FailedWork_a_super_admin_discards_selected_items_and_retries_one_in_spanish()
    {
        var seeded = await FailedWorkSeed.EveryKindAsync(app);
        var page = await AdminAtAsync("/admin/failed");
        var short8 = (Guid id) => id.ToString("N")[^8..];

        // Counts per kind, and the seeded items with their reasons.
        await Assertions.Expect(page.GetByTestId("kind-import")).ToContainTextAsync("Importaciones");
        await Assertions.Expect(page.GetByText("clientes.csv: The file is not valid UTF-8")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("RepeatedFailures: the agent turn failed 3 times")).ToBeVisibleAsync();

        // Bulk: select the failed import and the failed outbound webhook, discard both.
        await page.GetByLabel($"Seleccionar Importaciones {short8(seeded.Import)}").CheckAsync();
        await page.GetByLabel($"Seleccionar Webhooks salientes {short8(seeded.OutboundWebhook)}").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Descartar selección (2)" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Se descartaron 2; 0 ya estaban atendidos.", new() { Exact = false })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("clientes.csv: The file is not valid UTF-8")).ToHaveCountAsync(0);

        // One by one: the turn goes back to the bot from its row.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Reintentar {short8(seeded.Turn)}" }).ClickAsync();
        await Assertions.Expect(page.GetByText("RepeatedFailures: the agent turn failed 3 times")).ToHaveCountAsync(0);

        // The drawer shows what was being done: the raw webhook delivery.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Detalles {short8(seeded.Webhook)}" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("failed-payload")).ToContainTextAsync("whatsapp_business_account");

        await using var work = app.Scopes.ForSystem("test");
        Assert.True(await work.Db.FailedWorkDiscards.AnyAsync(d => d.ItemId == seeded.Import && d.Kind == "import"));
        Assert.True(await work.Db.ContactImports.AnyAsync(i => i.Id == seeded.Import)); // kept
        Assert.True(await work.Db.AuditEntries.AnyAsync(a => a.Action == "failed_work.retry" && a.EntityId == seeded.Turn.ToString()
            && a.Actor.EndsWith("@platform.test")));
    }

    [Fact]
    public async Task DevConsole_filters_from_the_url_tails_live_and_pauses_in_spanish()
    {
        var writer = app.Services.GetRequiredService<SystemEventWriter>();
        var tenant = await app.TenantAsync(TestData.Unique("Ferretería"));
        var token = TestData.Unique("tok");
        var conversationId = Guid.NewGuid();
        await writer.WriteAsync(Severity.Error, "outbound", new TextRef("SystemEvent.SendGaveUp", $"A message on WhatsApp 555 failed after retries: {token} one",
            "WhatsApp", "555", $"{token} one"), tenant.Id, JsonSerializer.Serialize(new { conversationId, attempts = 5 }));
        await writer.WriteAsync(Severity.Info, "outbound", new TextRef("SystemEvent.SendGaveUp", $"info {token} quiet", "WhatsApp", "555", $"{token} quiet"),
            tenant.Id);

        var page = await AdminAtAsync($"/admin/events?severity=Error&q={token}");
        // In the reader's language, filtered by severity: the Info event is not shown.
        await Assertions.Expect(page.GetByText($"Un mensaje en WhatsApp 555 falló tras varios reintentos: {token} one")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText($"{token} quiet", new() { Exact = false })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("tail-state")).ToContainTextAsync("En vivo");

        // Live: a new event appears without a reload.
        await writer.WriteAsync(Severity.Critical, "webhooks", new TextRef("SystemEvent.SendGaveUp", $"{token} two", "Messenger", "777", $"{token} two"), tenant.Id);
        await Assertions.Expect(page.GetByText($"{token} two", new() { Exact = false })).ToBeVisibleAsync(new() { Timeout = 15000 });

        // Paused: the next one is held back and counted.
        await page.GetByRole(AriaRole.Button, new() { Name = "Pausar en vivo" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("tail-state")).ToContainTextAsync("En pausa");
        await writer.WriteAsync(Severity.Error, "outbound", new TextRef("SystemEvent.SendGaveUp", $"{token} three", "TikTok", "888", $"{token} three"), tenant.Id);
        await Assertions.Expect(page.GetByTestId("tail-new")).ToContainTextAsync("1 nuevos", new() { Timeout = 15000 });
        await Assertions.Expect(page.GetByText($"{token} three", new() { Exact = false })).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Button, new() { Name = "Mostrar 1 nuevos" }).ClickAsync();
        await Assertions.Expect(page.GetByText($"{token} three", new() { Exact = false })).ToBeVisibleAsync();

        // The source filter is in the URL too.
        await GoAsync(page, $"/admin/events?source=webhooks&q={token}");
        await Assertions.Expect(page.GetByText($"{token} two", new() { Exact = false })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText($"{token} one", new() { Exact = false })).ToHaveCountAsync(0);

        // The drawer: structured metadata, and links to the workspace and the conversation it names.
        await GoAsync(page, $"/admin/events?tenant={tenant.Id}&q={token}%20one");
        await page.GetByRole(AriaRole.Button, new() { Name = "Abrir evento", Exact = false }).First.ClickAsync();
        await Assertions.Expect(page.GetByTestId("event-metadata")).ToContainTextAsync("\"attempts\": 5");
        await Assertions.Expect(page.GetByTestId("event-drawer").Locator($"a[href='admin/tenants/{tenant.Id}']")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("event-drawer").Locator($"a[href='inbox/{conversationId}']")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task AuditLog_filters_by_workspace_action_and_text_and_shows_the_change_in_spanish()
    {
        var tenant = await app.TenantAsync(TestData.Unique("Panadería"));
        var marker = TestData.Unique("cambio");
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            var now = DateTimeOffset.UtcNow;
            work.Db.AuditEntries.Add(AuditEntry.Change(tenant.Id, null, "dueña@panaderia.test", "agent.publish", "AgentProfile", marker,
                """{"tone":"formal","model":"gpt-4o-mini"}""", """{"tone":"amable","model":"gpt-4o-mini"}""", now));
            work.Db.AuditEntries.Add(AuditEntry.Create(tenant.Id, null, "otro@panaderia.test", "member.invite", "Invitation", marker, "invited", now));
            await work.Db.SaveChangesAsync();
        }

        var page = await AdminAtAsync($"/admin/audit?tenant={tenant.Id}&action=agent.publish");
        await Assertions.Expect(page.GetByText("dueña@panaderia.test")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("otro@panaderia.test")).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Button, new() { Name = "Abrir entrada", Exact = false }).First.ClickAsync();
        var diff = page.GetByTestId("audit-diff");
        await Assertions.Expect(diff.Locator("tr.changed")).ToHaveCountAsync(1);
        await Assertions.Expect(diff.Locator("tr.changed")).ToContainTextAsync("formal");
        await Assertions.Expect(diff.Locator("tr.changed")).ToContainTextAsync("amable");

        // The text filter typed on the page goes into the URL and narrows the list.
        await GoAsync(page, $"/admin/audit?tenant={tenant.Id}");
        await Assertions.Expect(page.GetByText("otro@panaderia.test")).ToBeVisibleAsync();
        await page.GetByLabel("Buscar").FillAsync("otro@");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("q=otro"));
        await Assertions.Expect(page.GetByText("dueña@panaderia.test")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByText("otro@panaderia.test")).ToBeVisibleAsync();
    }
}
