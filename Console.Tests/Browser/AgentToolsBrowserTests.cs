using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Agent;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The demo app on a real socket, with a tool server on 127.0.0.1 that the network allowlist lets it reach.</summary>
public sealed class AgentToolsBrowserApp : IAsyncLifetime
{
    public ToolServer Server { get; private set; } = default!;
    public BrowserNodeAppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Server = await ToolServer.StartAsync();
        App = new BrowserNodeAppFactory(new Dictionary<string, string?>
        {
            ["Agent:Workers"] = "0",
            ["Network:PrivateAllowlist:0"] = $"127.0.0.1:{Server.Port}",
        });
        await App.InitializeAsync();
        // Custom webhook tools are a Pro feature (on other plans the section is shown disabled under an upgrade prompt).
        await using var system = App.Scopes.ForSystem("test: demo workspace on Pro");
        var demo = await system.Db.Tenants.SingleAsync(t => t.Slug == DemoSeeder.TenantSlug);
        demo.ChangePlan(OperatorConsole.Domain.Tenants.Plan.Pro);
        await system.Db.SaveChangesAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>The owner builds, tests and edits a webhook tool and the team's quick replies on /agent, in Spanish, on a desktop and a phone.</summary>
public class AgentToolsBrowserTests(AgentToolsBrowserApp fixture, BrowserFixture browser)
    : IClassFixture<AgentToolsBrowserApp>, IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private readonly List<IBrowserContext> _contexts = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts) await context.CloseAsync();
    }

    private async Task<IPage> SignInAsync(string locale, int width, int height)
    {
        var page = await browser.SignInAsync(fixture.App.ServerAddress, DemoSeeder.OwnerEmail, DemoSeeder.Password, "/agent", locale, width, height);
        _contexts.Add(page.Context);
        return page;
    }

    [Fact]
    public async Task Owner_creates_a_tool_with_two_parameters_and_a_secret_header_tests_it_and_an_edit_keeps_the_secret_unseen()
    {
        var page = await SignInAsync("es-MX", 1366, 800);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Herramientas" }).ClickAsync();
        var name = "consultar_stock_" + Random.Shared.Next(1000, 9999);
        var secret = "sk-secreto-" + Guid.NewGuid().ToString("N")[..10];
        var marker = Guid.NewGuid().ToString("N")[..12];

        await page.GetByRole(AriaRole.Button, new() { Name = "Agregar herramienta" }).ClickAsync();
        var dialog = page.GetByTestId("tool-editor");
        await dialog.GetByLabel("Nombre", new() { Exact = true }).FillAsync(name);
        await dialog.GetByLabel("¿Cuándo debe usarla el agente?").FillAsync("Cuando pregunten si hay existencias de un producto");
        await dialog.GetByLabel("URL", new() { Exact = true }).FillAsync($"http://127.0.0.1:{fixture.Server.Port}/echo?m={marker}");
        var parameters = dialog.GetByTestId("tool-parameter");
        // Each row is waited for: the second click lands on the re-rendered editor, not on the one being replaced.
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Agregar parámetro" }).ClickAsync();
        await Assertions.Expect(parameters).ToHaveCountAsync(1);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Agregar parámetro" }).ClickAsync();
        await Assertions.Expect(parameters).ToHaveCountAsync(2);
        await parameters.Nth(0).GetByLabel("Parámetro", new() { Exact = true }).FillAsync("sku");
        await parameters.Nth(0).GetByLabel("Descripción").FillAsync("Código del producto");
        await parameters.Nth(0).GetByLabel("Obligatorio").CheckAsync();
        await parameters.Nth(1).GetByLabel("Parámetro", new() { Exact = true }).FillAsync("sucursal");
        await parameters.Nth(1).GetByLabel("Valores permitidos").FillAsync("Norte, Sur");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Agregar encabezado" }).ClickAsync();
        await dialog.GetByTestId("tool-header").GetByLabel("Encabezado", new() { Exact = true }).FillAsync("X-Api-Key");
        await dialog.GetByTestId("tool-header").GetByLabel("Valor", new() { Exact = true }).FillAsync(secret);
        // The hints offer exactly the parameters and the verified variables.
        var hints = dialog.GetByTestId("tool-variables");
        await Assertions.Expect(hints).ToContainTextAsync("{{sku}}");
        await Assertions.Expect(hints).ToContainTextAsync("{{sucursal}}");
        await Assertions.Expect(hints).ToContainTextAsync("{{contact.phone}}");
        await dialog.GetByTestId("tool-body").FillAsync("""{"sku":"{{sku}}","sucursal":"{{sucursal}}"}""");

        // Test: the call is real and its answer shown.
        await dialog.GetByLabel("Valor de ejemplo para sucursal").FillAsync("Norte");
        await dialog.GetByLabel("Valor de ejemplo para sku").FillAsync("CEP-01");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Probar" }).ClickAsync();
        await Assertions.Expect(dialog.GetByTestId("tool-test-status")).ToHaveTextAsync("HTTP 200");
        await Assertions.Expect(dialog.GetByTestId("tool-test-time")).ToContainTextAsync(" ms");
        await Assertions.Expect(dialog.GetByTestId("tool-test-output")).ToContainTextAsync("warehouse");
        var call = Assert.Single(fixture.Server.Received, r => r.Path.Contains(marker));
        Assert.Equal("""{"sku":"CEP-01","sucursal":"Norte"}""", call.Body);
        Assert.Equal(secret, call.Headers["X-Api-Key"]);
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("agent-tools-dialog-desktop-es.png") });

        await page.GetByRole(AriaRole.Button, new() { Name = "Guardar herramienta" }).ClickAsync();
        var row = page.GetByTestId("tool-row").Filter(new() { HasText = name });
        await Assertions.Expect(row).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("agent-tools-desktop-es.png"), FullPage = true });

        // Editing: the header shows only its name; the rows come back from the stored schema; the value never reaches the page.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Editar {name}" }).ClickAsync();
        dialog = page.GetByTestId("tool-editor");
        await Assertions.Expect(dialog.GetByTestId("tool-parameter")).ToHaveCountAsync(2);
        await Assertions.Expect(dialog.GetByTestId("tool-parameter").Nth(1).GetByLabel("Valores permitidos")).ToHaveValueAsync("Norte, Sur");
        await Assertions.Expect(dialog.GetByTestId("tool-header").GetByLabel("Encabezado", new() { Exact = true })).ToHaveValueAsync("X-Api-Key");
        await Assertions.Expect(dialog.GetByTestId("tool-header").GetByLabel("Valor", new() { Exact = true })).ToHaveValueAsync("");
        Assert.DoesNotContain(secret, await page.ContentAsync());
        await dialog.GetByLabel("¿Cuándo debe usarla el agente?").FillAsync("Cuando pregunten por existencias en una sucursal");
        await page.GetByRole(AriaRole.Button, new() { Name = "Guardar herramienta" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("existencias en una sucursal");

        // The untouched secret is still sent.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Editar {name}" }).ClickAsync();
        dialog = page.GetByTestId("tool-editor");
        await dialog.GetByLabel("Valor de ejemplo para sku").FillAsync("CEP-02");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Probar" }).ClickAsync();
        await Assertions.Expect(dialog.GetByTestId("tool-test-status")).ToHaveTextAsync("HTTP 200");
        var second = Assert.Single(fixture.Server.Received, r => r.Path.Contains(marker) && r.Body.Contains("CEP-02"));
        Assert.Equal(secret, second.Headers["X-Api-Key"]);
        Assert.DoesNotContain(secret, await page.ContentAsync());
    }

    [Fact]
    public async Task On_a_phone_the_tools_tab_refuses_a_private_address_in_plain_words_and_quick_replies_offer_their_variables()
    {
        var page = await SignInAsync("es-MX", 390, 844);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Herramientas" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("builtin-tool")).ToHaveCountAsync(10);
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("agent-tools-phone-es.png"), FullPage = true });

        await page.GetByRole(AriaRole.Button, new() { Name = "Agregar herramienta" }).ClickAsync();
        var dialog = page.GetByTestId("tool-editor");
        await dialog.GetByLabel("Nombre", new() { Exact = true }).FillAsync("interno");
        await dialog.GetByLabel("¿Cuándo debe usarla el agente?").FillAsync("Nunca");
        await dialog.GetByLabel("URL", new() { Exact = true }).FillAsync("http://127.0.0.1:9/interno");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Probar" }).ClickAsync();
        await Assertions.Expect(dialog.GetByTestId("tool-test-error")).ToContainTextAsync("No se llamó: esa dirección es privada o interna");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("agent-tools-dialog-phone-es.png") });
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancelar" }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Tab, new() { Name = "Respuestas rápidas" }).ClickAsync();
        var shortcut = "bienvenida" + Random.Shared.Next(1000, 9999);
        var form = page.GetByTestId("quick-reply-form");
        await form.GetByLabel("Atajo").FillAsync(shortcut);
        await form.GetByLabel("Texto").FillAsync("Hola ");
        await form.GetByTestId("quick-reply-variables").GetByText("{{contact_first_name}}").ClickAsync();
        await Assertions.Expect(form.GetByLabel("Texto")).ToHaveValueAsync("Hola {{contact_first_name}}");
        await Assertions.Expect(form.GetByTestId("quick-reply-preview")).ToContainTextAsync("Hola Ana");
        await form.GetByRole(AriaRole.Button, new() { Name = "Agregar" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("quick-reply-row").Filter(new() { HasText = "/" + shortcut })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("agent-quick-replies-phone-es.png"), FullPage = true });

        await page.GetByRole(AriaRole.Button, new() { Name = $"Eliminar /{shortcut}" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Eliminar", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("quick-reply-row").Filter(new() { HasText = "/" + shortcut })).ToHaveCountAsync(0);
    }

    [Fact]
    [Trait("Category", "Screenshots")]
    public async Task Tools_and_quick_replies_in_english_on_a_desktop()
    {
        var page = await SignInAsync("en-US", 1366, 800);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Tools" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Built-in tools")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("agent-tools-desktop-en.png"), FullPage = true });
        await page.GetByRole(AriaRole.Tab, new() { Name = "Quick replies" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("quick-reply-variables")).ToContainTextAsync("{{business_name}}");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("agent-quick-replies-desktop-en.png"), FullPage = true });
    }
}
