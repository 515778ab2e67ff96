defmodule CanExample.OBDTest do
  use ExUnit.Case, async: true
  alias CanExample.OBD
  alias Kos.CAN.Frame

  test "an rpm request is mode 01 PID 0x0C to the functional address, 8 bytes" do
    assert %Frame{id: 0x7DF, data: <<2, 1, 0x0C, 0, 0, 0, 0, 0>>} = OBD.rpm_request()
  end

  test "a reply's engine speed is (256·A + B) / 4" do
    assert OBD.rpm_reply(%Frame{id: 0x7E8, data: <<4, 0x41, 0x0C, 0x1A, 0xF8, 0, 0, 0>>}) ==
             {:ok, 1726.0}

    assert OBD.rpm_reply(%Frame{id: 0x7E8, data: <<3, 0x41, 0x0D, 50, 0, 0, 0, 0>>}) == :error
  end

  test "the ECU broadcast decodes" do
    frame = %Frame{id: 0x0C0, data: <<0x0C, 0x80, 130, 80, 0, 0, 0, 7>>}
    assert OBD.broadcast(frame) == {:ok, %{rpm: 800.0, coolant_c: 90, speed_kmh: 80, counter: 7}}
  end

  test "frames survive the protocol's record encoding" do
    for f <- [
          OBD.rpm_request(),
          %Frame{id: 0x1ABCDE, extended: true, data: <<1, 2, 3>>},
          %Frame{id: 0x123, remote: true, dlc: 8}
        ] do
      {:frame, back} = Kos.CAN.decode(Kos.CAN.encode(f))

      assert {back.id, back.extended, back.remote, back.data} ==
               {f.id, f.extended, f.remote, f.data}
    end
  end
end
