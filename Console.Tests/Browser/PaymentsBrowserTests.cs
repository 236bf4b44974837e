using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Infrastructure.Payments;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The demo workspace on a real socket with Stripe.net pointed at a local fake Stripe.</summary>
public sealed class PaymentsBrowserFactory(IReadOnlyDictionary<string, string?> settings) : ConsoleAppFactory(null, settings)
{
    protected override bool SeedDemo => true;
    protected override bool UseRealSocket => true;
}

public sealed class PaymentsBrowserApp : IAsyncLifetime
{
    public FakeStripeApi Stripe { get; private set; } = default!;
    public PaymentsBrowserFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Stripe = await FakeStripeApi.StartAsync();
        App = new PaymentsBrowserFactory(new Dictionary<string, string?> { ["Stripe:ApiBase"] = Stripe.BaseUrl });
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Stripe.DisposeAsync();
    }
}

/// <summary>An owner checks what came in, connects Stripe and confirms a transfer, in Spanish, on a laptop and a phone.</summary>
public class PaymentsBrowserTests(PaymentsBrowserApp payments, BrowserFixture browser)
    : IClassFixture<PaymentsBrowserApp>, IClassFixture<BrowserFixture>
{
    private ConsoleAppFactory App => payments.App;

    private async Task<IPage> SignInAsync(string returnUrl, int width = 1366, int height = 800, string locale = "es-MX")
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = App.ServerAddress.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.GetByLabel(locale.StartsWith("es") ? "Correo electrónico" : "E-mail").FillAsync(DemoSeeder.OwnerEmail);
        await page.GetByLabel(locale.StartsWith("es") ? "Contraseña" : "Password").FillAsync(DemoSeeder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = locale.StartsWith("es") ? "Entrar" : "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**" + returnUrl);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    /// <summary>
    /// In the demo workspace, for three new customers of this test (their names end in the returned tag): a confirmed
    /// payment, a pending transfer for two units and an expired link.
    /// </summary>
    private async Task<(string Tag, string PendingCustomer)> SeedPaymentsAsync()
    {
        Guid tenantId;
        await using (var system = App.Scopes.ForSystem("test"))
            tenantId = await system.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
        var tag = Guid.NewGuid().ToString("N")[..4];
        var ana = await App.ConversationAsync(tenantId, $"Ana Pérez {tag}");
        var beto = await App.ConversationAsync(tenantId, $"Beto Ruiz {tag}");
        var carla = await App.ConversationAsync(tenantId, $"Carla Soto {tag}");
        var commands = App.Services.GetRequiredService<PaymentCommands>();
        await using var work = App.Scopes.ForTenant(tenantId);
        var product = Product.Create(tenantId, $"Limpieza dental {tag}", "Limpieza dental completa", 450m, "MXN", true, DateTimeOffset.UtcNow);
        work.Db.Products.Add(product);
        await work.Db.SaveChangesAsync();
        var paid = await commands.RequestAsync(tenantId, ana.ContactId, ana.Id, product, 1, null, default);
        await commands.ConfirmAsync(tenantId, paid.Id, "owner@demo.local", default);
        await commands.RequestAsync(tenantId, beto.ContactId, beto.Id, product, 2, null, default);
        var expired = await commands.RequestAsync(tenantId, carla.ContactId, carla.Id, product, 1, null, default);
        var tracked = await work.Db.PaymentLinks.SingleAsync(p => p.Id == expired.Id);
        tracked.MarkUnpaid(PaymentLinkStatus.Expired, DateTimeOffset.UtcNow);
        await work.Db.SaveChangesAsync();
        return (tag, $"Beto Ruiz {tag}");
    }

    [Fact]
    public async Task The_owner_sees_payments_with_totals_connects_stripe_and_confirms_a_transfer_in_spanish()
    {
        var (tag, pendingCustomer) = await SeedPaymentsAsync();
        payments.Stripe.AcceptKey("sk_test_good_demo_key", "Clínica Dental Sonrisa");
        var page = await SignInAsync("/payments");
        // Only this test's customers: the totals are theirs.
        await page.GetByLabel("Buscar cliente").FillAsync(tag);

        var table = page.GetByTestId("payments");
        await Assertions.Expect(table.GetByTestId("payment-status").Filter(new() { HasText = "Pagado" }).First).ToBeVisibleAsync();
        await Assertions.Expect(table.GetByTestId("payment-status").Filter(new() { HasText = "Vencido" }).First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("payment-totals")).ToContainTextAsync("Cobrado 450,00 MXN");
        await Assertions.Expect(page.GetByTestId("payment-totals")).ToContainTextAsync("Pendiente 900,00 MXN");
        await Assertions.Expect(page.GetByTestId("revenue-chart")).ToBeVisibleAsync();

        // A key Stripe refuses: Stripe's words, in a Spanish sentence; nothing is connected.
        await page.GetByLabel("Clave secreta").FillAsync("sk_test_wrong_key");
        await page.GetByLabel("Secreto de firma del webhook").FillAsync("whsec_demo");
        await page.GetByRole(AriaRole.Button, new() { Name = "Verificar y conectar" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("stripe-error")).ToContainTextAsync("Stripe rechazó la clave: Invalid API Key provided");
        await Assertions.Expect(page.GetByTestId("stripe-connected")).ToHaveCountAsync(0);
        await page.GetByTestId("payment-settings").ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("payments-connect-error-desktop-es.png") });

        await page.GetByLabel("Clave secreta").FillAsync("sk_test_good_demo_key");
        await page.GetByLabel("Secreto de firma del webhook").FillAsync("whsec_demo");
        await page.GetByRole(AriaRole.Button, new() { Name = "Verificar y conectar" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("stripe-connected")).ToContainTextAsync("Conectada a Clínica Dental Sonrisa");
        // Write-only: the typed key is gone from the form.
        await Assertions.Expect(page.GetByLabel("Clave secreta")).ToHaveValueAsync("");

        var pendingRow = table.GetByRole(AriaRole.Row).Filter(new() { HasText = pendingCustomer }).Filter(new() { HasText = "Pendiente" });
        await pendingRow.GetByRole(AriaRole.Button, new() { Name = "Confirmar pago" }).ClickAsync();
        await Assertions.Expect(table.GetByRole(AriaRole.Row).Filter(new() { HasText = pendingCustomer }).GetByTestId("payment-status").First)
            .ToHaveTextAsync("Pagado");
        await Assertions.Expect(page.GetByTestId("payment-totals")).Not.ToContainTextAsync("Pendiente 900,00 MXN");
        await page.GetByTestId("payment-settings").ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("payments-settings-desktop-es.png") });
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("payments-desktop-es.png") });

        // Filters: only expired ones.
        await page.GetByLabel("Estado").First.ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Vencido" }).ClickAsync();
        await Assertions.Expect(table.GetByTestId("payment-status").Filter(new() { HasText = "Pagado" })).ToHaveCountAsync(0);
        await Assertions.Expect(table.GetByTestId("payment-status").Filter(new() { HasText = "Vencido" }).First).ToBeVisibleAsync();
    }

    [Fact]
    // The same screen's behaviour runs in CI in Spanish; this English/phone tour runs with `./console.sh proof`.
    [Trait("Category", "Screenshots")]
    public async Task The_payments_page_fits_a_phone_and_reads_in_english_on_a_laptop()
    {
        var (tag, _) = await SeedPaymentsAsync();
        var phone = await SignInAsync("/payments", 390, 844);
        await phone.GetByLabel("Buscar cliente").FillAsync(tag);
        await Assertions.Expect(phone.GetByTestId("payment-status")).ToHaveCountAsync(3);
        await Assertions.Expect(phone.GetByTestId("payment-totals")).ToContainTextAsync("Cobrado");
        await Assertions.Expect(phone.GetByTestId("payment-settings")).ToBeVisibleAsync();
        var overflow = await phone.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the page is {overflow}px wider than the phone");
        await phone.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("payments-phone-es.png") });
        await phone.GetByTestId("payment-settings").ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("payments-settings-phone-es.png") });

        var laptop = await SignInAsync("/payments", locale: "en-US");
        await laptop.GetByLabel("Search customer").FillAsync(tag);
        await Assertions.Expect(laptop.GetByTestId("payment-status")).ToHaveCountAsync(3);
        await Assertions.Expect(laptop.GetByTestId("payment-totals")).ToContainTextAsync("Paid");
        await Assertions.Expect(laptop.GetByText("How you get paid")).ToBeVisibleAsync();
        await laptop.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("payments-desktop-en.png") });
    }

    [Fact]
    public async Task The_owner_edits_a_products_price_description_and_image_in_spanish()
    {
        var tag = Guid.NewGuid().ToString("N")[..4];
        var page = await SignInAsync("/agent");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Productos" }).ClickAsync();
        var form = page.GetByTestId("product-form");
        await form.GetByLabel("Nombre del producto").FillAsync($"Blanqueamiento {tag}");
        await form.GetByLabel("Precio").FillAsync("1200");
        await form.GetByRole(AriaRole.Button, new() { Name = "Agregar producto" }).ClickAsync();
        var row = page.GetByTestId("product-row").Filter(new() { HasText = $"Blanqueamiento {tag}" });
        await Assertions.Expect(row).ToBeVisibleAsync();

        // An http picture is refused in Spanish; an https one is kept with the new price and description.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Editar Blanqueamiento {tag}" }).ClickAsync();
        // As a user does: change the fields once the form shows the product (typed sooner, its values land over them).
        await Assertions.Expect(form.GetByRole(AriaRole.Button, new() { Name = "Guardar cambios" })).ToBeVisibleAsync();
        await Assertions.Expect(form.GetByLabel("Precio")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^1[,.]?200"));
        await form.GetByLabel("Precio").FillAsync("1350");
        await form.GetByLabel("Descripción").FillAsync("Blanqueamiento dental con láser, una sesión");
        await form.GetByLabel("Imagen (dirección https)").FillAsync("http://fotos.example.test/blanqueamiento.jpg");
        await form.GetByRole(AriaRole.Button, new() { Name = "Guardar cambios" }).ClickAsync();
        await Assertions.Expect(page.GetByText("La imagen es una dirección https://")).ToBeVisibleAsync();
        await form.GetByLabel("Imagen (dirección https)").FillAsync("https://fotos.example.test/blanqueamiento.jpg");
        await form.GetByRole(AriaRole.Button, new() { Name = "Guardar cambios" }).ClickAsync();

        var products = page.GetByTestId("products");
        var edited = products.GetByRole(AriaRole.Row).Filter(new() { HasText = $"Blanqueamiento {tag}" });
        await Assertions.Expect(edited).ToContainTextAsync("1350.00 MXN");
        await Assertions.Expect(edited).ToContainTextAsync("Blanqueamiento dental con láser");
        await Assertions.Expect(edited.GetByRole(AriaRole.Link, new() { Name = $"Imagen (dirección https) Blanqueamiento {tag}" }))
            .ToHaveAttributeAsync("href", "https://fotos.example.test/blanqueamiento.jpg");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("products-desktop-es.png") });
    }

    [Fact]
    public async Task A_payment_shows_beside_its_conversation_and_turns_paid_live_when_confirmed_elsewhere()
    {
        Guid tenantId;
        await using (var system = App.Scopes.ForSystem("test"))
            tenantId = await system.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
        var tag = Guid.NewGuid().ToString("N")[..4];
        var conversation = await App.ConversationAsync(tenantId, $"Diana Luna {tag}", "Ya te transferí");
        Product product;
        await using (var work = App.Scopes.ForTenant(tenantId))
        {
            product = Product.Create(tenantId, $"Consulta {tag}", null, 600m, "MXN", true, DateTimeOffset.UtcNow);
            work.Db.Products.Add(product);
            await work.Db.SaveChangesAsync();
        }
        var commands = App.Services.GetRequiredService<PaymentCommands>();
        var payment = await commands.RequestAsync(tenantId, conversation.ContactId, conversation.Id, product, 1, null, default);

        var page = await SignInAsync($"/inbox/{conversation.Id}", 1440, 900);
        var panel = page.GetByTestId("contact-payments");
        await Assertions.Expect(panel.GetByTestId("contact-payment-status")).ToHaveTextAsync("Pendiente");
        await Assertions.Expect(page.GetByTestId("event").Filter(new() { HasText = $"Pago solicitado: Consulta {tag}, 600,00 MXN" })).ToBeVisibleAsync();

        // Someone else confirms it (another screen, the API): this screen follows without a reload.
        await commands.ConfirmAsync(tenantId, payment.Id, "otra persona", default);
        await Assertions.Expect(panel.GetByTestId("contact-payment-status")).ToHaveTextAsync("Pagado");
        await Assertions.Expect(page.GetByTestId("event").Filter(new() { HasText = $"Pago recibido: Consulta {tag}, 600,00 MXN" })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("inbox-payment-desktop-es.png") });
    }

    [Fact]
    public async Task The_payments_page_shows_a_new_payment_and_its_confirmation_without_a_reload()
    {
        Guid tenantId;
        await using (var system = App.Scopes.ForSystem("test"))
            tenantId = await system.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
        var tag = Guid.NewGuid().ToString("N")[..4];
        var conversation = await App.ConversationAsync(tenantId, $"Elena Mora {tag}", "Quiero pagar");
        var product = Product.Create(tenantId, $"Blanqueamiento {tag}", null, 900m, "MXN", true, DateTimeOffset.UtcNow);
        await using (var work = App.Scopes.ForTenant(tenantId))
        {
            work.Db.Products.Add(product);
            await work.Db.SaveChangesAsync();
        }
        var page = await SignInAsync("/payments");
        await Assertions.Expect(page.GetByTestId("payments")).ToBeVisibleAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = $"Elena Mora {tag}" });
        await Assertions.Expect(row).ToHaveCountAsync(0);

        // The agent (here: the same command) asks for the payment, and someone confirms the transfer on another screen.
        var commands = App.Services.GetRequiredService<PaymentCommands>();
        var payment = await commands.RequestAsync(tenantId, conversation.ContactId, conversation.Id, product, 1, null, default);
        await Assertions.Expect(row.GetByTestId("payment-status")).ToHaveTextAsync("Pendiente");
        await commands.ConfirmAsync(tenantId, payment.Id, "otra persona", default);
        await Assertions.Expect(row.GetByTestId("payment-status")).ToHaveTextAsync("Pagado");
    }
}
