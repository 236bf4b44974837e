using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The demo workspace with the agent off and small import batches, so an import's progress has steps to show.</summary>
public sealed class LeadsBrowserApp : IAsyncLifetime
{
    public BrowserNodeAppFactory App { get; } = new(new Dictionary<string, string?> { ["Agent:Workers"] = "0", ["Imports:BatchSize"] = "250" });

    public Task InitializeAsync() => App.InitializeAsync();

    public Task DisposeAsync() => App.DisposeAsync();
}

/// <summary>The lead page (inline edits, score history, merge) and the CSV import, in Spanish, on a desktop and a phone.</summary>
public class LeadBrowserTests(LeadsBrowserApp leads, BrowserFixture browser) : IClassFixture<LeadsBrowserApp>, IClassFixture<BrowserFixture>
{
    private BrowserNodeAppFactory App => leads.App;

    private async Task<IPage> SignInAsync(string returnUrl, int width = 1366, int height = 800, string locale = "es-MX")
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = App.ServerAddress.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height }, AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.GetByLabel("Correo electrónico").FillAsync(DemoSeeder.OwnerEmail);
        await page.GetByLabel("Contraseña").FillAsync(DemoSeeder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**" + returnUrl);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private async Task<Guid> DemoTenantAsync()
    {
        await using var work = App.Scopes.ForSystem("test");
        return await work.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
    }

    private async Task<Guid> DemoContactAsync(string name)
    {
        var tenant = await DemoTenantAsync();
        await using var work = App.Scopes.ForTenant(tenant);
        return await work.Db.Contacts.Where(c => c.Name == name).Select(c => c.Id).SingleAsync();
    }

    private async Task EnsureBudgetFieldAsync()
    {
        var tenant = await DemoTenantAsync();
        await using var work = App.Scopes.ForTenant(tenant);
        if (await work.Db.CustomFieldDefinitions.AnyAsync(d => d.Key == "presupuesto")) return;
        work.Db.CustomFieldDefinitions.Add(CustomFieldDefinition.Create(tenant, "presupuesto", "Presupuesto", CustomFieldType.Number, null, 1,
            DateTimeOffset.UtcNow));
        try
        {
            await work.Db.SaveChangesAsync();
        }
        catch (DbUpdateException)
        {
            // Another test of this class added it first.
        }
    }

    [Fact]
    public Task Owner_imports_a_thousand_rows_watches_the_progress_survive_a_reload_and_gets_the_five_bad_rows() => ImportAsync(1_000);

    /// <summary>The full-size import (about a minute and a half on two shared cores): `./console.sh proof`.</summary>
    [Fact]
    [Trait("Category", "Proof")]
    public Task Owner_imports_ten_thousand_rows_watches_the_progress_survive_a_reload_and_gets_the_fifty_bad_rows() => ImportAsync(10_000);

    private async Task ImportAsync(int rows)
    {
        // Figures as the Spanish page prints them ("10.000", and "1000": Spanish groups only from five digits).
        static string N(int n) => n.ToString("N0", System.Globalization.CultureInfo.GetCultureInfo("es"));
        var bad = rows / 200;
        // Each size its own numbers and addresses: both imports share the demo workspace, and a second import of the same
        // people would (rightly) skip them as duplicates.
        var area = rows >= 10_000 ? "56" : "55";
        var csv = new StringBuilder("Nombre,Teléfono,Correo\n");
        for (var i = 0; i < rows; i++)
        {
            // Every 200th row has a phone no numbering plan accepts.
            var phone = i % 200 == 7 ? $"12ab{i}" : $"{area}{40000000 + i}";
            csv.Append($"Cliente {i},{phone},cliente{i}.{rows}@example.com\n");
        }
        var page = await SignInAsync("/leads/import");
        await page.Locator("input[type=file]").ChooseFileAsync(new FilePayload
        {
            Name = "clientes.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(csv.ToString()),
        });
        var preview = page.GetByTestId("import-preview");
        await Assertions.Expect(preview).ToContainTextAsync("Cliente 0");
        await Assertions.Expect(preview).ToContainTextAsync($"+52{area}40000000");
        // Row 9 of the file (data row 8) has the bad phone, already flagged in the preview, in Spanish.
        await Assertions.Expect(preview).ToContainTextAsync("'12ab7' no es un teléfono válido.");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("lead-import-desktop-es.png"), FullPage = true });

        await page.GetByTestId("import-start").ClickAsync();
        await page.WaitForURLAsync("**/leads/imports/*");
        var progress = page.GetByTestId("import-progress");
        await Assertions.Expect(progress).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("import-processed")).ToContainTextAsync($"de {N(rows)} filas");
        // The progress is stored, not held by the page: a reload shows it again and it carries on to the end.
        await page.ReloadAsync();
        await Assertions.Expect(progress).ToBeVisibleAsync();
        await Assertions.Expect(progress).ToHaveAttributeAsync("data-status", "done", new() { Timeout = 180_000 });
        await Assertions.Expect(page.GetByTestId("import-processed")).ToContainTextAsync($"{N(rows)} de {N(rows)} filas");
        await Assertions.Expect(page.GetByTestId("import-counts")).ToContainTextAsync($"{N(rows - bad)} creados · 0 actualizados · 0 omitidos · {N(bad)} con errores");
        var badRows = page.GetByTestId("import-bad-rows");
        await Assertions.Expect(badRows.Locator("tbody tr")).ToHaveCountAsync(bad);
        await Assertions.Expect(badRows).ToContainTextAsync("'12ab7' no es un teléfono válido.");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("lead-import-progress-desktop-es.png"), FullPage = true });

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("import-download").ClickAsync());
        var path = await download.PathAsync();
        var lines = (await File.ReadAllLinesAsync(path)).Where(l => l.Length > 0).ToList();
        Assert.Equal(bad + 1, lines.Count);
        Assert.Contains($"Cliente 7,12ab7,cliente7.{rows}@example.com", lines[1]);
        Assert.Contains("no es un teléfono válido", lines[1]);
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData(1366, 800, "desktop")]
    [InlineData(390, 844, "phone")]
    public async Task The_lead_page_in_spanish_edits_fields_in_place_and_explains_a_refused_value(int width, int height, string device)
    {
        await EnsureBudgetFieldAsync();
        var tenant = await DemoTenantAsync();
        var name = "Lucía Fernández " + device;
        var conversation = await App.ConversationAsync(tenant, name, "Hola, ¿cuánto cuesta una limpieza?");
        await using (var work = App.Scopes.ForTenant(tenant))
        {
            var contact = await work.Db.Contacts.SingleAsync(c => c.Id == conversation.ContactId);
            contact.SetScore(60, "interested +10", DateTimeOffset.UtcNow.AddMinutes(-30));
            contact.SetScore(80, "interested +10, budget mentioned +20", DateTimeOffset.UtcNow.AddMinutes(-5));
            contact.SetSummary("Quiere una limpieza dental este mes y pregunta por precios.");
            await work.Db.SaveChangesAsync();
        }
        var page = await SignInAsync($"/leads/{conversation.ContactId}", width, height);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = name })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Historial de puntuación")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("score-history")).ToContainTextAsync("interesado +10, mencionó presupuesto +20");
        await Assertions.Expect(page.GetByTestId("lead-conversation").First).ToBeVisibleAsync();

        var budget = page.GetByTestId("field-presupuesto");
        await budget.GetByRole(AriaRole.Button, new() { Name = "Editar Presupuesto" }).ClickAsync();
        var input = budget.GetByRole(AriaRole.Textbox);
        await input.FillAsync("mucho");
        await input.PressAsync("Enter");
        await Assertions.Expect(budget).ToContainTextAsync("Presupuesto: 'mucho' no es un número.");
        // Esc leaves the field as it was.
        await input.PressAsync("Escape");
        await Assertions.Expect(budget.GetByRole(AriaRole.Textbox)).ToHaveCountAsync(0);
        await Assertions.Expect(budget).ToContainTextAsync("Agregar");

        await budget.GetByRole(AriaRole.Button, new() { Name = "Editar Presupuesto" }).ClickAsync();
        await budget.GetByRole(AriaRole.Textbox).FillAsync("12,500");
        await budget.GetByRole(AriaRole.Textbox).PressAsync("Enter");
        await Assertions.Expect(budget.GetByRole(AriaRole.Button)).ToHaveTextAsync("12500");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"lead-detail-{device}-es.png"), FullPage = true });

        // Nothing on the page is wider than the screen.
        var overflow = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth");
        Assert.False(overflow, "the lead page scrolls sideways");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Merging_from_the_lead_page_moves_the_conversation_and_the_old_address_says_where_it_went()
    {
        var tenant = await DemoTenantAsync();
        Guid duplicate;
        await using (var work = App.Scopes.ForTenant(tenant))
        {
            var contact = Contact.Create(tenant, "Emily Duplicada " + Guid.NewGuid().ToString("N")[..6], "+15550001234", DateTimeOffset.UtcNow);
            work.Db.Contacts.Add(contact);
            await work.Db.SaveChangesAsync();
            duplicate = contact.Id;
        }
        var survivor = await DemoContactAsync("Carlos Ramírez");
        var page = await SignInAsync($"/leads/{survivor}");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.GetByTestId("merge-open").ClickAsync();
        await page.GetByLabel("Buscar por nombre, teléfono o correo").FillAsync("Emily Dup");
        await page.GetByTestId("merge-candidate").First.ClickAsync();
        await Assertions.Expect(page.GetByTestId("merge-preview")).ToContainTextAsync("Este prospecto conserva sus valores");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("lead-merge-desktop-es.png") });
        await page.GetByTestId("merge-confirm").ClickAsync();
        await Assertions.Expect(page.GetByText("Prospectos combinados.")).ToBeVisibleAsync();

        await page.GotoAsync($"/leads/{duplicate}");
        await Assertions.Expect(page.GetByTestId("merged-into")).ToContainTextAsync("Este prospecto se combinó con Emily Duplicada");
        // Input while a fresh page's circuit starts can be lost (seen in a loaded CI run): act once it is live.
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.GetByTestId("merged-into").GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Carlos Ramírez" })).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_lead_of_another_business_is_a_not_found_page()
    {
        var other = await App.TenantAsync();
        var foreign = await App.ConversationAsync(other.Id, "Cliente ajeno");
        var page = await SignInAsync("/leads/import");
        var response = await page.GotoAsync($"/leads/{foreign.ContactId}");
        Assert.Equal(404, response!.Status);
        await Assertions.Expect(page.GetByText("Página no encontrada")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Cliente ajeno")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }
}
