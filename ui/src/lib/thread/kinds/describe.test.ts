import { describe, expect, it } from "vitest";
import { coordinates, documentType, draftOfCard, mapUrl, phoneLabel } from "./describe";

describe("documentType", () => {
  it.each([
    ["application/pdf", "Business plan.pdf", "pdf", "PDF"],
    [
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "Cash flow.xlsx",
      "sheet",
      "Spreadsheet (XLSX)",
    ],
    ["text/csv", "export.csv", "sheet", "Spreadsheet (CSV)"],
    ["application/msword", "letter.doc", "doc", "Document (DOC)"],
    ["application/vnd.ms-powerpoint", "pitch.ppt", "slides", "Presentation (PPT)"],
    // The sender's type is generic: the name tells.
    ["application/octet-stream", "report.docx", "doc", "Document (DOCX)"],
    ["application/zip", "photos.zip", "file", "ZIP file"],
    ["application/octet-stream", "README", "file", "File"],
  ])("reads_%s_%s_as_%s", (mime, name, family, type) => {
    expect(documentType(mime, name)).toEqual({ family, type });
  });
});

describe("a place", () => {
  it("says_its_coordinates_with_their_hemispheres", () => {
    expect(coordinates(38.7223, -9.1393)).toBe("38.7223° N, 9.1393° W");
    expect(coordinates(-33.8568, 151.2153)).toBe("33.8568° S, 151.2153° E");
  });

  it("links_to_it_on_openstreetmap_at_street_level", () => {
    expect(mapUrl(38.7223, -9.1393)).toBe(
      "https://www.openstreetmap.org/?mlat=38.7223&mlon=-9.1393#map=16/38.7223/-9.1393",
    );
  });
});

describe("a shared card as a new contact", () => {
  it("keeps_the_numbers_as_written_with_the_editors_labels_and_the_emails_in_the_notes", () => {
    expect(
      draftOfCard({
        name: "Ana Silva",
        organization: "Silva Contabilidade",
        phones: [
          { number: "+351 912 345 678", wa_id: "351912345678", label: "CELL" },
          { number: "+351 213 456 789", wa_id: null, label: "WORK" },
          { number: "+351 213 000 000", wa_id: null, label: "Fax" },
        ],
        emails: ["ana@silva.example", " "],
      }),
    ).toEqual({
      name: "Ana Silva",
      company: "Silva Contabilidade",
      notes: "E-mail: ana@silva.example",
      phones: [
        { number: "+351 912 345 678", label: "mobile" },
        { number: "+351 213 456 789", label: "work" },
        { number: "+351 213 000 000", label: "other" },
      ],
    });
  });

  it("has_no_notes_without_emails", () => {
    expect(draftOfCard({ name: "Bo", organization: null, phones: [], emails: [] }).notes).toBe(
      null,
    );
  });

  it("reads_a_missing_label_as_mobile", () => {
    expect(phoneLabel(null)).toBe("mobile");
    expect(phoneLabel("home")).toBe("home");
  });
});
