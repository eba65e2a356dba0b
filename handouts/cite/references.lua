-- Run by pandoc before its citeproc (handouts/cite/engine.py): the references pandoc read
-- from the bibliography files, with a style's deliberate change, put in the metadata so
-- that citeproc formats them and the build reads the names back.
--
-- handouts-particles: a lowercase particle written before the surname ("van Hilten")
-- stays with it, as AMA (11th ed., 3.15.2 "Particles") and Vancouver (Citing Medicine,
-- ch. 1 "Names with particles") print it: "van Hilten JJ", never "Hilten JJ van".

local ROLES = {"author", "editor", "translator", "container-author", "collection-editor",
               "editorial-director", "director", "interviewer", "recipient",
               "reviewed-author", "composer", "illustrator", "original-author"}

-- A DOI field that holds a whole address ("https://doi.org/10.1000/x") is the DOI
-- ("10.1000/x"): styles print it their own way, and the build links it.
local function bare_doi(ref)
  local doi = ref.DOI or ref.doi
  if doi then
    local text = pandoc.utils.stringify(doi)
    local bare = text:gsub("^%s*[Hh][Tt][Tt][Pp][Ss]?://[%w.]*doi%.org/", "")
                     :gsub("^%s*[Dd][Oo][Ii]:%s*", "")
    if bare ~= text then
      if ref.DOI then ref.DOI = bare else ref.doi = bare end
    end
  end
end

function Pandoc(doc)
  local refs = pandoc.utils.references(doc)
  for _, ref in ipairs(refs) do bare_doi(ref) end
  if doc.meta["handouts-particles"] then
    for _, ref in ipairs(refs) do
      for _, role in ipairs(ROLES) do
        for _, name in ipairs(ref[role] or {}) do
          if name["dropping-particle"] and not name["non-dropping-particle"] then
            name["non-dropping-particle"] = name["dropping-particle"]
            name["dropping-particle"] = nil
          end
        end
      end
    end
  end
  doc.meta.references = refs
  doc.meta.bibliography = nil
  return doc
end
