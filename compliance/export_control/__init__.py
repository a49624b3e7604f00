"""Technology import and export control: catalogues, classification, licences, gates."""
