"""Performance data the service is given: attainment (ACEL), school statistics and external
inspections, per establishment, authority and session, as the Scottish Government and
Education Scotland publish them."""
