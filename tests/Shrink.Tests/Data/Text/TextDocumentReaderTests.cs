using Shrink.Data.Text;

namespace Shrink.Tests.Data.Text;

public sealed class TextDocumentReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private List<string> Documents(string text, DocumentSeparator separator, int maxPiece = TextDocumentReader.MaxPieceChars)
    {
        string path = _dir.PathOf("t.txt");
        File.WriteAllText(path, text);
        using var reader = new TextDocumentReader(path, separator, maxPiece);
        var documents = new List<string>();
        string current = "";
        bool open = false;
        foreach (var piece in reader.Pieces())
        {
            Assert.Equal(!open, piece.StartsDocument);
            current += piece.Text;
            open = !piece.EndsDocument;
            if (piece.EndsDocument)
            {
                documents.Add(current);
                current = "";
            }
        }
        Assert.False(open);
        return documents;
    }

    [Fact]
    public void Line_mode_makes_each_non_blank_line_a_document_without_its_newline()
    {
        Assert.Equal(["one", "two words", "three"], Documents("one\r\ntwo words\n\n   \nthree", DocumentSeparator.Line));
    }

    [Fact]
    public void Blank_lines_separate_documents_that_keep_their_newlines()
    {
        Assert.Equal(["a\nb\n", "c\n"], Documents("\n\na\nb\n\n \t\nc\n\n\n", DocumentSeparator.Blank));
    }

    [Fact]
    public void Marker_lines_separate_documents_as_in_fortune_files()
    {
        // Inside the file a document keeps its blank lines; the last one loses its trailing ones; whitespace-only ones go.
        string text = "first\n\n%\n%\n  \n%\nsecond\n has % inside\n%\nlast\n\n\n";
        Assert.Equal(["first\n\n", "second\n has % inside\n", "last\n"], Documents(text, DocumentSeparator.Marker("%")));
    }

    [Fact]
    public void A_document_longer_than_the_piece_limit_comes_in_pieces_that_join_to_it()
    {
        string longLine = string.Concat(Enumerable.Range(0, 100).Select(i => (char)('a' + i % 26)));
        string text = "short\n\n" + longLine + "\n" + longLine + "\n\nend\n";
        string path = _dir.PathOf("long.txt");
        File.WriteAllText(path, text);
        using var reader = new TextDocumentReader(path, DocumentSeparator.Blank, maxPieceChars: 32);
        var pieces = reader.Pieces().ToList();
        Assert.True(pieces.Count >= 4, $"{pieces.Count} pieces");
        Assert.All(pieces, p => Assert.True(p.Text.Length <= 2 * 32 + 1, $"piece of {p.Text.Length} chars"));
        Assert.Equal(["short\n", longLine + "\n" + longLine + "\n", "end\n"], Documents(text, DocumentSeparator.Blank, maxPiece: 32));
    }

    [Fact]
    public void A_utf8_byte_order_mark_is_not_text()
    {
        string path = _dir.PathOf("bom.txt");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, (byte)'h', (byte)'i', (byte)'\n']);
        using var reader = new TextDocumentReader(path, DocumentSeparator.Line);
        Assert.Equal("hi", Assert.Single(reader.Pieces()).Text);
    }
}
