using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Trawl.Tests.Docs;

/// <summary>
/// The C# blocks of a Markdown file, compiled as a user's console project would compile them: .NET's implicit usings,
/// nullable on, references to the Trawl libraries. Blocks that declare only types are compiled together, each block
/// with top-level statements in a program of its own with them; a block fenced <c>csharp</c> (or <c>cs</c>,
/// <c>c#</c>) right after a line <c>&lt;!-- not compiled --&gt;</c> is left out, and counted as such.
/// </summary>
public static partial class MarkdownCSharp
{
    /// <summary>What a console project's implicit usings give every file.</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    /// <summary>A C# block: the line of the Markdown file its code starts on, and its code.</summary>
    public sealed record Block(int Line, string Code);

    /// <summary>The C# blocks of <paramref name="markdown"/> meant to compile, and how many are marked not to.</summary>
    public static (IReadOnlyList<Block> Compiled, int Marked) Blocks(string markdown)
    {
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        var blocks = new List<Block>();
        var marked = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            if (!CSharpFence().IsMatch(lines[i]))
            {
                continue;
            }

            var start = i + 1;
            var end = start;
            while (end < lines.Length && !lines[end].TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                end++;
            }

            if (i > 0 && lines[i - 1].Trim().StartsWith("<!-- not compiled", StringComparison.Ordinal))
            {
                marked++;
            }
            else
            {
                blocks.Add(new Block(start + 1, string.Join('\n', lines[start..end])));
            }

            i = end;
        }

        return (blocks, marked);
    }

    /// <summary>
    /// Compiles the blocks and returns the errors, each naming the Markdown line it is on; none when every block compiles.
    /// </summary>
    public static IReadOnlyList<string> Errors(IReadOnlyList<Block> blocks)
    {
        var parsed = blocks.Select(block => (Block: block, Tree: CSharpSyntaxTree.ParseText(block.Code, Parse, path: $"line {block.Line}"))).ToList();
        var declarations = parsed.Where(block => !HasStatements(block.Tree)).ToList();
        var programs = parsed.Where(block => HasStatements(block.Tree)).ToList();
        var units = programs.Count == 0
            ? [(Kind: OutputKind.DynamicallyLinkedLibrary, Trees: declarations)]
            : programs.Select(program => (Kind: OutputKind.ConsoleApplication, Trees: declarations.Append(program).ToList())).ToList();

        var errors = new List<string>();
        foreach (var (kind, trees) in units)
        {
            var compilation = CSharpCompilation.Create(
                "ReadmeBlocks",
                [CSharpSyntaxTree.ParseText(ImplicitUsings, Parse, path: "implicit usings"), .. trees.Select(tree => tree.Tree)],
                References.Value,
                new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable));
            foreach (var diagnostic in compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error))
            {
                var span = diagnostic.Location.GetLineSpan();
                var block = trees.FirstOrDefault(tree => tree.Tree == diagnostic.Location.SourceTree).Block;
                var line = block is null ? span.Path : $"README line {block.Line + span.StartLinePosition.Line}";
                errors.Add($"{line}: {diagnostic.Id} {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
            }
        }

        return errors.Distinct().ToList();
    }

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    // Everything this test process can load: the framework, and the Trawl libraries with their dependencies.
    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray());

    private static bool HasStatements(SyntaxTree tree) => tree.GetCompilationUnitRoot().Members.OfType<GlobalStatementSyntax>().Any();

    [GeneratedRegex(@"^\s*```\s*(csharp|cs|c#)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex CSharpFence();
}
