using Microsoft.Playwright;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Agent;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>An owner adds a brochure to the agent's knowledge, watches it being read, and checks what the agent would retrieve.</summary>
public class KnowledgeBrowserTests(AgentBrowserApp agent, BrowserFixture browser) : IClassFixture<AgentBrowserApp>, IClassFixture<BrowserFixture>
{
    private static readonly LocatorAssertionsToHaveAttributeOptions Reading = new() { Timeout = 60_000 };

    private async Task<IPage> KnowledgeTabAsync(string locale, int width, int height, string tab)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = agent.App.ServerAddress.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/Account/Login?returnUrl=%2Fagent");
        await page.Locator("input[name='Input.Email']").FillAsync(DemoSeeder.OwnerEmail);
        await page.Locator("input[name='Input.Password']").FillAsync(DemoSeeder.Password);
        await page.Locator("button[type='submit']").ClickAsync();
        await page.WaitForURLAsync("**/agent");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.GetByRole(AriaRole.Tab, new() { Name = tab }).ClickAsync();
        return page;
    }

    [Fact]
    public async Task Owner_uploads_a_pdf_sees_it_become_ready_searches_it_reads_its_passages_and_switches_it_off()
    {
        var page = await KnowledgeTabAsync("es-MX", 1366, 800, "Conocimiento");
        var name = "folleto-" + Guid.NewGuid().ToString("N")[..6];
        await page.Locator("[data-testid=knowledge-upload] input[type=file]").ChooseFileAsync(new FilePayload
        {
            Name = name + ".pdf", MimeType = "application/pdf", Buffer = KnowledgeFilesTests.BrochurePdf(256 * 1024),
        });
        var row = page.GetByTestId("knowledge-row").Filter(new() { HasText = name });
        await Assertions.Expect(row).ToHaveAttributeAsync("data-status", "ready", Reading);
        await Assertions.Expect(page.Locator("tr").Filter(new() { HasText = name })).ToContainTextAsync("Listo");

        await page.GetByLabel("Pregunta de un cliente").FillAsync("¿cuánto cuesta un implante?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Buscar" }).ClickAsync();
        var first = page.GetByTestId("knowledge-hit").First;
        await Assertions.Expect(first).ToContainTextAsync(name);
        await Assertions.Expect(first).ToContainTextAsync("18,000 pesos");
        await Assertions.Expect(first.GetByTestId("knowledge-score")).ToContainTextAsync("Puntuación");

        await page.GetByRole(AriaRole.Button, new() { Name = $"Ver fragmentos {name}" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("knowledge-chunks")).ToContainTextAsync("El implante dental de titanio cuesta 18,000 pesos");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("agent-knowledge-desktop-es.png"), FullPage = true });

        // Off: the same question no longer retrieves it.
        await page.GetByLabel($"Activo {name}").ClickAsync();
        await Assertions.Expect(page.GetByTestId("knowledge-chunks")).ToContainTextAsync("desactivado");
        await page.GetByRole(AriaRole.Button, new() { Name = "Buscar" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("knowledge-hit").Filter(new() { HasText = name })).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Button, new() { Name = $"Eliminar {name}" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Eliminar" }).ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_renamed_file_is_refused_with_the_reason_in_spanish_on_a_phone()
    {
        var page = await KnowledgeTabAsync("es-MX", 390, 844, "Conocimiento");
        await page.Locator("[data-testid=knowledge-upload] input[type=file]").ChooseFileAsync(new FilePayload
        {
            Name = "precios.pdf", MimeType = "application/pdf", Buffer = "Limpieza $600"u8.ToArray(),
        });
        await Assertions.Expect(page.GetByText("El archivo se llama .pdf, pero su contenido no es un archivo .pdf.")).ToBeVisibleAsync();
        // The demo's documents are listed as cards that fit the phone's width.
        await Assertions.Expect(page.GetByTestId("knowledge-row").First).ToBeVisibleAsync();
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("agent-knowledge-phone-es.png"), FullPage = true });
    }

    [Fact]
    // The same screen's behaviour runs in CI in Spanish; this English/phone tour runs with `./console.sh proof`.
    [Trait("Category", "Screenshots")]
    public async Task The_knowledge_tab_reads_in_english()
    {
        var page = await KnowledgeTabAsync("en-US", 1366, 800, "Knowledge");
        // The demo clinic's knowledge is in Spanish, as its customers write.
        await page.GetByLabel("A customer's question").FillAsync("¿Cuál es su horario?");
        await page.GetByLabel("A customer's question").PressAsync("Enter");
        await Assertions.Expect(page.GetByTestId("knowledge-hit").First).ToContainTextAsync("lunes a viernes");
        await Assertions.Expect(page.GetByTestId("knowledge-score").First).ToContainTextAsync("Score");
        await Assertions.Expect(page.GetByText("Pasted text").First).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("agent-knowledge-desktop-en.png"), FullPage = true });
    }
}
